"""The classroom app: watch commercialisation change a market, live, in the browser.

Built on Mesa's SolaraViz (install with ``pip install 'dmpsim[app]'``; start with
``dmpsim app [--scenario NAME] [--port N]`` or `dmpsim.app.serve`). docs/teaching.md is the
teacher's guide.

- `levers`: `ClassroomMarket`, the model built from a scenario, a seed and eight levers;
  the twin runs of the side-by-side view. Plain Python.
- `narrate`: the running log in plain words. Plain Python.
- `views`: the pictures (matplotlib, redrawn fast each step). Plain Python.
- `components`, `app`: the Solara components and the page (need the `app` extra).
- `server`: `serve()` and `start_server()`.

Importing this package does not import Solara; the core model never imports the app.
"""

from .server import serve, start_server

__all__ = ["serve", "start_server"]
