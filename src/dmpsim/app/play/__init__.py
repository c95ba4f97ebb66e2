"""Play mode: a class game in which students take practitioners' seats (ODD §7.13).

The teacher opens a game (`dmpsim app --play`), picks a scenario and the practitioners the
students play; students join from their own devices with a short code and a name, and answer
the dilemmas the market puts to their practitioner. Plain Python and the standard library: no
Solara, so that a phone's page stays small and a step's answer reaches the teacher at once.

- `settings`: `GameSettings`, what the teacher chooses, checked.
- `words`: dilemmas, tenders and outcomes in plain words for a student's screen.
- `game`: `Game`, the market run in a thread of its own, the seats (each a `Player`), the
  students and their open questions, time-outs.
- `debrief`: each student's choices beside the rule's, their organisations, and the market
  against the same seed with the rule everywhere.
- `pages`: the student's and the teacher's pages (HTML and a little JavaScript).
- `server`: the HTTP/JSON game server and `serve_game()`.
"""

from .game import Game
from .settings import GameSettings

__all__ = ["Game", "GameSettings"]
