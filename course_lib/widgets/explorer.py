"""The base class of the interactive explorers: parameters, one update path, a rendered figure.

Every explorer is an :class:`Explorer`: plain-Python parameters (``ex.params``), derived arrays
(``ex.state``), a persistent matplotlib :class:`~matplotlib.figure.Figure` whose artists are
updated in place, and ``ex.widget``, an ipywidgets container. Controls and code go through the
same path::

    slider moves -> ex.set(name=value) -> validate -> ex.update()
                 -> _compute() (state) -> _draw() (artists) -> render() (PNG)

so a test can call ``ex.set(a11=2.0)`` and read ``ex.state`` without a browser, and a browser moves
the same code by moving the slider. Rendering needs no ipympl: see
:class:`~course_lib.widgets.rendering.FigureRenderer`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .rendering import FigureRenderer

__all__ = ["Explorer"]

ControlT = TypeVar("ControlT", bound=widgets.ValueWidget)


class Explorer:
    """Base class of the explorers: parameters, one update path, a figure rendered to an image.

    Subclasses set :attr:`kind` (used in CSS classes, e.g. ``"relu"`` gives the container class
    ``course-relu-explorer``), register their controls with :meth:`_add_control`, build the
    figure's artists, and implement :meth:`_compute` (parameters -> ``self._state``) and
    :meth:`_draw` (state -> artists, in place). They may override :meth:`_expand` (turn
    composite arguments such as ``A=`` into controls) and :meth:`_changed` (react to a change
    before the update, e.g. invalidate the background).

    Attributes
    ----------
    widget : ipywidgets.Box
        The displayable container (the explorer displays as this widget).
    image : ipywidgets.Image
        The rendered figure, PNG.
    figure : matplotlib.figure.Figure
        The persistent figure.
    renderer : FigureRenderer
    timings : dict
        ``{"update_ms": ..., "render_ms": ...}`` of the last update: the state and artist
        update, and the render to PNG.
    live : bool
        Render after every change (default). Code making many changes in a row can set it to
        ``False`` and call :meth:`render` at the end.
    """

    kind: ClassVar[str] = "explorer"

    def __init__(
        self, figsize: tuple[float, float], dpi: float = 72.0, layout: str | None = "constrained"
    ) -> None:
        self._lock = threading.RLock()
        self._params: dict[str, Any] = {}
        self._controls: dict[str, widgets.ValueWidget] = {}
        self._state: dict[str, Any] = {}
        self._syncing = False
        self.figure = Figure(figsize=figsize, dpi=dpi, layout=layout, facecolor="white")
        self.renderer = FigureRenderer(self.figure)
        # natural size (no stretching by the flex container), shrunk only to fit narrow outputs
        self.image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%", align_self="flex-start")
        )
        self.image.add_class("course-explorer-image")
        self.image.add_class(f"course-{self.kind}-image")
        self.timings: dict[str, float] = {"update_ms": float("nan"), "render_ms": float("nan")}
        self.widget: widgets.Box = widgets.VBox()
        self.renders = 0
        self.live = True

    # ------------------------------------------------------------------------------------------
    # construction helpers
    # ------------------------------------------------------------------------------------------
    def _add_control(self, name: str, control: widgets.ValueWidget, css: str) -> None:
        """Register ``control`` as the widget of parameter ``name``.

        Parameters
        ----------
        name : str
            Parameter name, as accepted by :meth:`set`.
        control : ipywidgets.ValueWidget
            A slider, dropdown, ...; its current value becomes the parameter's value.
        css : str
            Kind of control for the CSS class ``course-<kind>-<css>-<name>``, e.g. ``"slider"``.
        """
        control.add_class(f"course-{self.kind}-{css}-{name}")
        control.add_class(f"course-{self.kind}-control")
        self._controls[name] = control
        self._params[name] = control.value
        control.observe(lambda change, name=name: self._from_control(name, change), "value")

    def _control(
        self,
        name: str,
        control_type: type[ControlT],
        *,
        width: str,
        label_width: str,
        **options: Any,
    ) -> ControlT:
        """Make and register the control of parameter ``name``: ``control_type(**options)``.

        The control gets a description ``label_width`` wide and the width ``width``; it is
        registered with :meth:`_add_control`, with the CSS kind ``"dropdown"`` for a dropdown and
        ``"slider"`` otherwise.
        """
        control = control_type(
            style={"description_width": label_width},
            layout=widgets.Layout(width=width),
            **options,
        )
        self._add_control(
            name, control, "dropdown" if isinstance(control, widgets.Dropdown) else "slider"
        )
        return control

    def _slider(
        self,
        name: str,
        value: float,
        lo: float,
        hi: float,
        step: float,
        description: str | None = None,
        width: str = "250px",
        readout_format: str = ".2f",
    ) -> widgets.FloatSlider:
        """Make and register a ``FloatSlider`` for parameter ``name`` (CSS ``...-slider-name``)."""
        return self._control(
            name,
            widgets.FloatSlider,
            width=width,
            label_width="38px",
            value=value,
            min=lo,
            max=hi,
            step=step,
            description=description if description is not None else name,
            continuous_update=True,
            readout_format=readout_format,
        )

    def _finish(self, children: Sequence[widgets.Widget]) -> None:
        """Build ``self.widget`` from ``children`` and draw the first frame."""
        self.widget = widgets.VBox(list(children))
        self.widget.add_class("course-explorer")
        self.widget.add_class(f"course-{self.kind}-explorer")
        self.update()

    # ------------------------------------------------------------------------------------------
    # the one update path
    # ------------------------------------------------------------------------------------------
    def _from_control(self, name: str, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        self.set(**{name: change["new"]})

    def set(self, **values: Any) -> None:
        """Change parameters (as the controls would) and update the state and the figure.

        Parameters
        ----------
        **values
            Parameter names (see :attr:`params`) and their new values; explorers also accept
            composite names (e.g. ``A=`` for the four entries of a matrix).

        Raises
        ------
        ValueError
            For an unknown name, a value outside the control's range or not among its options.
        """
        with self._lock:
            expanded = self._expand(dict(values))
            clean = {name: self._validate(name, value) for name, value in expanded.items()}
            self._params.update(clean)
            self._sync_controls(clean)
            self._changed(clean)
            self.update()

    def _expand(self, values: dict[str, Any]) -> dict[str, Any]:
        """Turn composite arguments into parameters; the default returns ``values``."""
        return values

    def _changed(self, changed: Mapping[str, Any]) -> None:
        """Hook called with the validated changes before :meth:`update`."""

    def _validate(self, name: str, value: Any) -> Any:
        if name not in self._params:
            known = ", ".join(sorted(self._params))
            raise ValueError(f"{type(self).__name__}.set: unknown parameter {name!r}; use {known}")
        control = self._controls.get(name)
        if control is None:
            return value
        if hasattr(control, "options"):
            options = [o[1] if isinstance(o, tuple) else o for o in control.options]
            if value not in options:
                raise ValueError(
                    f"{type(self).__name__}.set: {name}={value!r} is not one of {options}"
                )
            return value
        if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
            return bool(value)
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{type(self).__name__}.set: {name} must be a number, got {value!r}"
            ) from exc
        lo, hi = float(control.min), float(control.max)
        if isinstance(control, widgets.FloatLogSlider):
            lo, hi = control.base**lo, control.base**hi
        if not np.isfinite(number) or not lo - 1e-12 <= number <= hi + 1e-12:
            raise ValueError(
                f"{type(self).__name__}.set: {name}={value!r} is outside the slider range "
                f"[{lo:g}, {hi:g}]"
            )
        return int(round(number)) if isinstance(control, widgets.IntSlider) else number

    def _sync_controls(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` on the controls without triggering another update."""
        self._syncing = True
        try:
            for name, value in values.items():
                control = self._controls.get(name)
                if control is not None and control.value != value:
                    control.value = value
        finally:
            self._syncing = False

    def update(self, render: bool | None = None) -> None:
        """Recompute the state from the parameters, update the artists and render.

        Parameters
        ----------
        render : bool, optional
            Also draw the figure and send the PNG to :attr:`image`; default :attr:`live`.
        """
        with self._lock:
            t0 = time.perf_counter()
            self._compute()
            self._draw()
            self.timings["update_ms"] = 1e3 * (time.perf_counter() - t0)
            if self.live if render is None else render:
                self.render()

    def render(self) -> bytes:
        """Draw the figure and show it in :attr:`image`.

        Returns
        -------
        bytes
            The PNG.
        """
        with self._lock:
            t0 = time.perf_counter()
            png = self.renderer.render()
            self.image.value = png
            self.renders += 1
            self.timings["render_ms"] = 1e3 * (time.perf_counter() - t0)
            return png

    def _compute(self) -> None:
        """Parameters -> ``self._state``. Subclasses implement it."""
        raise NotImplementedError

    def _draw(self) -> None:
        """``self._state`` -> the figure's artists, updated in place. Subclasses implement it."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------------------
    # read access
    # ------------------------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """A copy of the current parameters (one per control), by name."""
        with self._lock:
            return dict(self._params)

    @property
    def state(self) -> dict[str, Any]:
        """A copy of the derived state: numpy arrays, numbers and strings, by name."""
        with self._lock:
            return {
                k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self._state.items()
            }

    @property
    def controls(self) -> dict[str, widgets.ValueWidget]:
        """The control widget of each parameter, by name."""
        return dict(self._controls)

    def png(self) -> bytes:
        """The PNG currently shown."""
        return bytes(self.image.value)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as :attr:`widget` in Jupyter."""
        return self.widget._repr_mimebundle_(**kwargs)

    def close(self) -> None:
        """Close the widgets (front-end models) of this explorer."""
        for control in self._controls.values():
            control.close()
        for w in _descendants(self.widget):
            w.close()
        self.image.close()

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={_short(v)}" for k, v in self._params.items())
        return f"{type(self).__name__}({shown})"


def _descendants(widget: widgets.Widget) -> Iterable[widgets.Widget]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return repr(value)
