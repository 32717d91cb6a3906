"""Imported by multiprocessing's forkserver before it forks any worker (every `WorkerPool` preloads it).

The forkserver hands each worker the signal handlers it found after its preloads: with this one, workers
ignore Ctrl-C from the moment they exist, not only once their initializer has run (see workers.py).
"""

from newsreader.workers import ignore_interrupts

ignore_interrupts()
