"""One quiz topic per lecture part, every study-notes section asked, the lectures' calls valid.

``SECTIONS`` maps each section of the lecture's study notes to the part that teaches it and to the
questions that ask about it. Every question of the bank sits in exactly one section, so a new
question has to be placed here, under the part (topic) where it is taught.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from course_lib.quiz import TOPICS, Question, load_flashcards, quiz
from course_lib.quiz.bank import check_topic

REPO = Path(__file__).resolve().parents[2]
LECTURES = REPO / "lectures"

#: The lecture parts and their quiz topics, in order; the notebooks call quiz(topic=...) with these.
PART_TOPICS = {
    "01_from_linear_to_deep": "feedforward networks",
    "02_modularity": "modularity",
    "03_xor_and_feature_learning": "xor and feature learning",
    "04_cost_functions": "cost functions",
    "05_activation_functions": "nonlinearities",
    "06_architecture_width_depth": "architecture",
    "07_chain_rule_and_graphs": "chain rule",
    "08_backpropagation": "backpropagation",
}

FF, MOD, XOR, COST, NL, ARCH, CR, BP = PART_TOPICS.values()

#: Study-notes section -> (topic of the part that teaches it, ids of the questions asking it).
SECTIONS: dict[str, tuple[str, list[str]]] = {
    # part 01
    "From linear to nonlinear = from shallow to deep": (
        FF,
        ["q02-f-and-y-composition", "q03-two-layer-scenario", "q07-linear-to-nonlinear"],
    ),
    "We've learned XOR (preview)": (FF, ["q36-why-xor-example"]),
    "Deep feedforward networks": (FF, ["q11-deep-meaning", "q34-input-representation"]),
    "Neural networks in blocks": (FF, ["q32-hidden-layer", "q35-feedforward-depiction"]),
    "Feedforward model: CNNs and Transformers are feedforward": (
        FF,
        ["q47-cnn-transformer-feedforward"],
    ),
    # part 02
    "What is a module?": (MOD, ["q08-matrix-a", "q31-module-characteristic", "q33-exp-module"]),
    "Requirements: differentiable almost everywhere": (MOD, ["q52-step-function-module"]),
    "Loopy connections: cycles and unrolling": (MOD, ["q48-unrolling-a-loop"]),
    "Hierarchies of modules and multiple inputs (RGB + LIDAR)": (
        MOD,
        ["q49-rgb-and-lidar-branches"],
    ),
    "Hierarchies of modules: cheap modules, more iterations": (MOD, ["q50-cheap-modules"]),
    "New modules: tanh(ReLU(x))": (MOD, ["q51-tanh-of-relu-derivative"]),
    # part 03
    "We've learned XOR: the network that solves it": (
        XOR,
        ["q05-xor-true-statement", "q27-xor-representation-role", "q28-xor-thresholds"],
    ),
    "Linear models: convex but limited": (XOR, ["q10-linear-capacity"]),
    "Non-linear feature learning: kernels and learned features": (
        XOR,
        [
            "q22-feature-family-design",
            "q23-good-classification-problem",
            "q25-xor-illustrates",
            "q26-learned-feature-space",
            "q29-why-feature-extraction",
            "q30-xor-representation-essential",
        ],
    ),
    "Gradient-based learning: non-convex loss, SGD, initialisation": (
        XOR,
        [
            "q53-permuted-units-non-convex",
            "q54-zero-initialisation",
            "q55-width-rescues-training",
        ],
    ),
    # part 04
    "Maximum likelihood and the negative log-likelihood": (
        COST,
        [
            "q56-why-the-log-likelihood",
            "q57-gaussian-nll-squared-error",
            "q58-nll-is-cross-entropy",
        ],
    ),
    "Euclidean loss and outliers": (
        COST,
        ["q14-euclidean-disadvantage", "q18-euclidean-definition", "q24-outlier-sensitivity"],
    ),
    "Cross-entropy and KL divergence": (COST, ["q17-cross-entropy-use", "q20-kl-divergence-use"]),
    "Good costs: large, predictable gradients, no saturation": (
        COST,
        ["q15-cost-not-characteristic", "q16-flat-cost", "q19-cost-purpose"],
    ),
    "Blending costs": (COST, ["q21-blending-costs"]),
    # part 05
    "Activation functions: why nonlinear": (NL, ["q09-relu-purpose", "q13-nonlinear-definition"]),
    "Identity (linear) units": (NL, ["q59-identity-unit"]),
    "ReLU": (
        NL,
        [
            "q01-relu-nonpositive",
            "q04-relu-active-units",
            "q06-relu-negative",
            "q12-relu-minus-one",
        ],
    ),
    "Dead neurons": (NL, ["q69-dead-relu"]),
    "Leaky ReLU and PReLU": (NL, ["q60-leaky-relu", "q61-prelu"]),
    "ELU": (NL, ["q62-elu-shape"]),
    "GELU": (NL, ["q63-gelu-default"]),
    "Sigmoid and tanh: saturation": (NL, ["q64-sigmoid-middle-layers", "q65-tanh-vs-sigmoid"]),
    "Softmax and its stable form": (NL, ["q66-stable-softmax"]),
    "How to choose an activation function": (
        NL,
        ["q67-choose-output-activation", "q68-hidden-layer-default"],
    ),
    # part 06
    "Architecture design": (ARCH, ["q37-weights-role", "q70-first-layer-notation"]),
    "Without nonlinearities depth collapses; a nonlinearity at the end is not enough": (
        ARCH,
        ["q71-nonlinearity-only-at-the-end"],
    ),
    "Width and depth": (
        ARCH,
        ["q38-deep-refers-to", "q73-depth-efficiency", "q74-depth-versus-width-evidence"],
    ),
    "Universal approximation theorem": (ARCH, ["q72-universal-approximation"]),
    "Deeper networks: hierarchical features": (ARCH, ["q75-hierarchical-features"]),
    # part 07
    "Intermezzo: chain rule": (CR, ["q43-gradient-equation", "q77-scalar-chain-rule"]),
    "Computational graphs: forward and reverse": (
        CR,
        ["q42-backpropagating-gradients", "q76-graph-nodes"],
    ),
    "Jacobians; what if the output is a scalar?": (
        CR,
        ["q41-jacobian-meaning", "q44-efficient-order", "q78-scalar-loss-order"],
    ),
    # part 08
    "Backpropagation <=> chain rule, as an algorithm": (
        BP,
        [
            "q39-backprop-purpose",
            "q40-backprop-true-statement",
            "q45-backprop-not-component",
            "q46-backprop-chain-rule",
        ],
    ),
    "Feedback alignment and learning without backprop": (
        BP,
        ["q79-feedback-alignment", "q80-weight-perturbation-cost"],
    ),
    "What's the big deal? The cost of backprop": (BP, ["q81-the-big-deal"]),
}

#: Sections the review found unasked in the first edition; each needs a course-written question.
NEWLY_ASKED = [
    "Feedforward model: CNNs and Transformers are feedforward",
    "Hierarchies of modules and multiple inputs (RGB + LIDAR)",
    "Gradient-based learning: non-convex loss, SGD, initialisation",
    "Maximum likelihood and the negative log-likelihood",
    "Identity (linear) units",
    "Leaky ReLU and PReLU",
    "ELU",
    "GELU",
    "Sigmoid and tanh: saturation",
    "Softmax and its stable form",
    "How to choose an activation function",
    "Dead neurons",
    "Width and depth",
    "Universal approximation theorem",
    "Deeper networks: hierarchical features",
    "Feedback alignment and learning without backprop",
]


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z$(])", text.strip()) if s]


#: quiz(topic=...) and flashcards(topic=...) calls in notebook code.
_TOPIC_CALL = re.compile(r"""\b(quiz|flashcards)\(\s*topic\s*=\s*(["'])(.+?)\2""")


# ------------------------------------------------------------------ topics
def test_topics_are_the_eight_lecture_parts_in_order() -> None:
    assert TOPICS == tuple(PART_TOPICS.values())
    assert set(TOPICS) == {
        "feedforward networks",
        "modularity",
        "xor and feature learning",
        "cost functions",
        "nonlinearities",
        "architecture",
        "chain rule",
        "backpropagation",
    }


@pytest.mark.parametrize("old", ["chain rule and backprop", "activation functions", "xor"])
def test_unknown_topics_raise_and_list_the_valid_ones(old: str) -> None:
    for call in (check_topic, quiz):
        with pytest.raises(ValueError) as info:
            call(old)
        message = str(info.value)
        assert repr(old) in message
        assert all(repr(t) in message for t in TOPICS), message


def test_every_topic_has_four_questions_and_a_flashcard(bank) -> None:
    counts = Counter(q.topic for q in bank)
    assert set(counts) == set(TOPICS)
    assert min(counts.values()) >= 4, counts
    cards = Counter(c.topic for c in load_flashcards())
    assert set(cards) == set(TOPICS), cards


# ------------------------------------------------------------------ course-written questions
def test_course_questions_are_complete(bank: list[Question]) -> None:
    course = [q for q in bank if q.source == "course"]
    assert len(course) >= 24
    for q in course:
        assert len(q.options) == 4 and len(set(q.options)) == 4, q.id
        assert 0 <= q.answer < 4, q.id
        # why the answer is right, and why the tempting distractor is wrong
        assert 2 <= len(sentences(q.explanation)) <= 3, q.id


# ------------------------------------------------------------------ study-notes sections
def test_sections_map_real_questions_to_the_part_that_teaches_them(bank) -> None:
    by_id = {q.id: q for q in bank}
    for section, (topic, ids) in SECTIONS.items():
        assert topic in TOPICS, section
        assert ids, f"no question asks about {section!r}"
        for qid in ids:
            assert qid in by_id, f"{section!r}: no question {qid!r} in the bank"
            assert by_id[qid].topic == topic, (
                f"{qid} is taught in {section!r} ({topic!r}) but tagged {by_id[qid].topic!r}"
            )


def test_every_question_sits_in_exactly_one_section(bank) -> None:
    placed = Counter(qid for _, ids in SECTIONS.values() for qid in ids)
    twice = [qid for qid, n in placed.items() if n > 1]
    assert not twice, twice
    unplaced = [q.id for q in bank if q.id not in placed]
    assert not unplaced, f"add these questions to a section of SECTIONS: {unplaced}"


def test_sections_unasked_in_the_first_edition_now_have_course_questions(bank) -> None:
    by_id = {q.id: q for q in bank}
    for section in NEWLY_ASKED:
        _, ids = SECTIONS[section]
        assert any(by_id[qid].source == "course" for qid in ids), section


def test_every_part_has_its_sections() -> None:
    assert {topic for topic, _ in SECTIONS.values()} == set(TOPICS)


# ------------------------------------------------------------------ lecture notebooks
def notebook_topic_calls(path: Path) -> list[tuple[str, str]]:
    """(function, topic) of every quiz(topic=...) / flashcards(topic=...) call in code cells."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    calls = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        calls += [(m.group(1), m.group(3)) for m in _TOPIC_CALL.finditer(source)]
    return calls


def test_topic_call_parser_finds_calls(tmp_path: Path) -> None:
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ['quiz(topic="in markdown")']},
            {"cell_type": "code", "source": ["x = 1\n", "quiz(topic='chain rule', n=3)"]},
            {"cell_type": "code", "source": 'flashcards(topic="modularity")'},
        ]
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert notebook_topic_calls(path) == [("quiz", "chain rule"), ("flashcards", "modularity")]


def test_lecture_quiz_calls_use_bank_topics() -> None:
    notebooks = sorted(LECTURES.glob("*.ipynb"))
    assert len(notebooks) >= len(PART_TOPICS), [p.name for p in notebooks]
    calls = {p.name: notebook_topic_calls(p) for p in notebooks}
    assert sum(len(c) for c in calls.values()) >= len(PART_TOPICS)
    wrong = {
        name: [f"{fn}(topic={topic!r})" for fn, topic in found if topic.lower() not in TOPICS]
        for name, found in calls.items()
    }
    wrong = {name: bad for name, bad in wrong.items() if bad}
    assert not wrong, f"calls with a topic that is not in TOPICS {TOPICS}: {wrong}"
