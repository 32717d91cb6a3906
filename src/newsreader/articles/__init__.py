"""Full article text: extraction (pure, in worker processes) and downloading (returns results)."""
