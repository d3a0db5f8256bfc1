"""The five explorers in a real JupyterLab, driven by Playwright in Debian's Chromium.

One server and one page for the module (see ``conftest.py``): Run All, then each test works
one explorer the way a student would (keyboard on a slider, a dropdown, buttons) and waits for
the figure to change. The last tests check that nothing went wrong on either side: no error
output in the notebook, no JavaScript console error, no traceback in the kernel's log.
Screenshots: ``tests/artifacts/browser/``.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_every_explorer_renders(page, ui):
    for kind in ui.KINDS:
        explorer = page.locator(f".course-{kind}-explorer")
        assert explorer.count() == 1, f"expected one {kind} explorer"
        assert (
            explorer.locator(
                "xpath=ancestor-or-self::*[contains(@class, 'jupyter-widgets')]"
            ).count()
            >= 1
        )
        box = page.locator(ui.image_selector(kind)).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, f"{kind} image is {box}"
        ui.shot(page, f"{kind}_initial", kind)


def test_relu_slider_moves_with_the_keyboard(page, ui):
    explorer = page.locator(".course-relu-explorer")
    readout = explorer.locator(".course-relu-slider-a12 .widget-readout")
    assert readout.inner_text().strip() == "0.00"
    before = ui.src(page, "relu")
    handle = explorer.locator(".course-relu-slider-a12 .noUi-handle")
    handle.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    ui.wait_changed(page, "relu", before)
    page.wait_for_function("el => el.textContent.trim() === '0.50'", arg=readout.element_handle())
    # the preset dropdown follows: a hand-made matrix is "custom"
    assert explorer.locator(".course-relu-dropdown-preset select").input_value() == "custom"
    ui.shot(page, "relu_after_keyboard", "relu")


def test_relu_preset_dropdown(page, ui):
    explorer = page.locator(".course-relu-explorer")
    before = ui.src(page, "relu")
    explorer.locator(".course-relu-dropdown-preset select").select_option("xor")
    ui.wait_changed(page, "relu", before)
    readout = explorer.locator(".course-relu-slider-a12 .widget-readout")
    # the readout writes a minus sign (U+2212), not a hyphen
    page.wait_for_function(
        "el => el.textContent.trim().replace('\u2212', '-') === '-1.00'",
        arg=readout.element_handle(),
    )
    ui.shot(page, "relu_xor_preset", "relu")


def test_xor_train_animates_and_stop_stops(page, ui):
    explorer = page.locator(".course-xor-explorer")
    status = explorer.locator(".course-xor-status")
    assert "4/4 correct" in status.inner_text()
    steps = explorer.locator(".course-xor-slider-steps .noUi-handle")
    steps.focus()
    page.keyboard.press("End")  # 10000 steps: long enough to stop it halfway
    page.wait_for_function(
        "el => el.textContent.trim() === '10000'",
        arg=explorer.locator(".course-xor-slider-steps .widget-readout").element_handle(),
    )
    before = ui.src(page, "xor")
    explorer.locator(".course-xor-train").click()
    page.wait_for_function(
        "el => el.textContent.includes('(training)')", arg=status.element_handle()
    )
    first = ui.wait_changed(page, "xor", before)
    ui.wait_changed(page, "xor", first)  # animated: more than one frame
    ui.shot(page, "xor_training", "xor")
    explorer.locator(".course-xor-stop").click()
    page.wait_for_function(
        "el => !el.textContent.includes('(training)')", arg=status.element_handle()
    )
    assert explorer.locator(".course-xor-train").is_enabled()
    assert explorer.locator(".course-xor-stop").is_disabled()
    text = status.inner_text()
    step = int(text.split("step")[-1].strip().split()[0])
    assert 0 < step < 10000, f"stop did not stop the run: {text!r}"
    ui.shot(page, "xor_stopped", "xor")


def test_activation_dropdown_and_slider(page, ui):
    explorer = page.locator(".course-activation-explorer")
    before = ui.src(page, "activation")
    explorer.locator(".course-activation-dropdown-activation select").select_option(label="ELU")
    after = ui.wait_changed(page, "activation", before)
    status = explorer.locator(".course-activation-status")
    page.wait_for_function(
        "el => el.textContent.includes('ELU(alpha=1.0)')", arg=status.element_handle()
    )
    alpha = explorer.locator(".course-activation-slider-elu_alpha")
    assert alpha.is_visible()
    assert not explorer.locator(".course-activation-slider-negative_slope").is_visible()
    alpha.locator(".noUi-handle").focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")  # continuous_update=False: one update per key press
    ui.wait_changed(page, "activation", after)
    page.wait_for_function(
        "el => el.textContent.includes('ELU(alpha=1.5)')", arg=status.element_handle()
    )
    ui.shot(page, "activation_elu", "activation")
    explorer.locator(".course-activation-dropdown-activation select").select_option(label="Sigmoid")
    page.wait_for_function("el => el.textContent.includes('sigmoid')", arg=status.element_handle())
    ui.shot(page, "activation_sigmoid", "activation")


def test_cost_outlier_slider(page, ui):
    explorer = page.locator(".course-cost-explorer")
    status = explorer.locator(".course-cost-status")
    mse_before = status.inner_text().split("MSE fit")[1].split("\n")[0]
    before = ui.src(page, "cost")
    explorer.locator(".course-cost-slider-outlier_y .noUi-handle").focus()
    page.keyboard.press("End")
    ui.wait_changed(page, "cost", before)
    page.wait_for_function(
        "el => el.textContent.trim() === '30.00'",
        arg=explorer.locator(".course-cost-slider-outlier_y .widget-readout").element_handle(),
    )
    page.wait_for_function(
        "([el, old]) => !el.textContent.includes(old)", arg=[status.element_handle(), mse_before]
    )
    explorer.locator(".course-cost-slider-logit .noUi-handle").focus()
    page.keyboard.press("Home")
    page.wait_for_function(
        "el => el.textContent.includes('at z = -10.0')", arg=status.element_handle()
    )
    ui.shot(page, "cost_outlier_high", "cost")


def test_backprop_forward_and_backward_buttons(page, ui):
    explorer = page.locator(".course-backprop-explorer")
    message = explorer.locator(".course-backprop-message")
    assert "press forward" in message.inner_text()
    assert explorer.locator(".course-backprop-backward").is_disabled()
    before = ui.src(page, "backprop")
    for _ in range(3):
        explorer.locator(".course-backprop-forward").click()
    page.wait_for_function(
        "el => el.textContent.includes('q = x + y')", arg=message.element_handle()
    )
    ui.wait_changed(page, "backprop", before)
    ui.shot(page, "backprop_forward_q", "backprop")
    for _ in range(2):
        explorer.locator(".course-backprop-forward").click()
    page.wait_for_function(
        "el => el.textContent.includes('f = q · z')", arg=message.element_handle()
    )
    explorer.locator(".course-backprop-backward").click()
    explorer.locator(".course-backprop-backward").click()
    explorer.locator(".course-backprop-backward").click()
    page.wait_for_function(
        "el => el.textContent.includes('df/dq = df/df · ∂f/∂q = 1 · (-4) = -4')",
        arg=message.element_handle(),
    )
    ui.shot(page, "backprop_backward_q", "backprop")
    explorer.locator(".course-backprop-all").click()
    page.wait_for_function("el => el.textContent.includes('df/dx')", arg=message.element_handle())
    ui.shot(page, "backprop_done", "backprop")


def test_no_error_output_in_the_notebook(page, ui):
    errors = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
    )
    texts = [errors.nth(i).inner_text()[:500] for i in range(errors.count())]
    assert not texts, f"error output in the notebook: {texts}"
    page.screenshot(path=str(ui.ARTIFACTS / "notebook_end.png"), full_page=True)


def test_no_javascript_errors(page):
    assert page.console_errors == [], "\n".join(page.console_errors)


def test_no_traceback_in_the_kernel_log(lab):
    log = lab.log_text()
    assert "Traceback" not in log and "Exception in" not in log, log[-3000:]
