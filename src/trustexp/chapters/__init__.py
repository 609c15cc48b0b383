"""What each chapter shows: display tables, the texts it glues, its store rows, built from ``stats``.

One module per chapter key (``chapters/outflow.py`` for the outflow chapter), plus modules shared by
several chapters (``common``, ``questionnaire``). Presentation floor: may import ground, data,
statistics, judgement and ``charts``; never the notebook runtime (``trustexp.chapter``, ``report``).
"""
