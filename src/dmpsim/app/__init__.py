"""The classroom app: watch commercialisation change a market, live, in the browser.

Built on Solara and Mesa's visualisation helpers (install with ``pip install 'dmpsim[app]'``;
start with ``dmpsim app [--scenario NAME] [--port N]`` or `dmpsim.app.serve`); the class game,
in which students play the practitioners, with ``dmpsim app --play [--host ADDRESS]``.
docs/teaching.md is the teacher's guide.

- `levers`: `ClassroomMarket`, the model built from a scenario, a seed and eight levers;
  the twin runs of the side-by-side view. Plain Python.
- `narrate`: the running log in plain words. Plain Python.
- `views`: the pictures (matplotlib, redrawn fast each step). Plain Python.
- `components`, `controls`, `app`: the Solara components, the run's controls and the levers,
  and the page (need the `app` extra).
- `server`: `serve()` and `start_server()`.
- `play`: the class game (standard library only): game, seats, students, debrief, its pages and
  its HTTP server.

Importing this package does not import Solara; the core model never imports the app.
"""

from .server import serve, start_server

__all__ = ["serve", "start_server"]
