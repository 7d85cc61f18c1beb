"""Backtest: a rule, as it is in the editor (saved or not), replayed over the series
history in a sandbox, to see what it would have done.

:mod:`.limits` (the bounds, from settings), :mod:`.sandbox` (the engine the replay runs:
reads only, no alert, no notification, no partition key), :mod:`.source` (the history
as events), :mod:`.runner` (the replay), :mod:`.inputs` (a rule and hours from a form
or JSON, bad input named by field), :mod:`.report` (the result as JSON data with the
rendered messages), :mod:`.views` (the editor's Test on history and the API).
"""
