"""Game days (R-GAME-24, R-GAME-25): scenarios as files, who leads the next one, the score and
the debrief. Pure, like the brain; workflows/game_day.py runs an exercise on Temporal."""
