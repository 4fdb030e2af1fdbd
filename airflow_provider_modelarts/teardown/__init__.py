"""The one teardown core shared by every operator (:mod:`.core`), its per-job decision
(:mod:`.decide`) and the one wait loop of operators, sensors and triggers (:mod:`.waiter`)."""
