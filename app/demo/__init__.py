"""The demo: two years of a return service's work, made up, made through the real services.

`rhi demo seed` (`seed.py`) makes the demo's organisations, people and partner systems, then
plans two years of synthetic history relative to today (`children.py`: who the children are;
`plan.py`: when each goes missing and comes back and what the service does after;
`documents.py`: what each interview record says) and plays it through the same services the
web pages and the API use (`history.py`), in time order, each step stamped when it would have
happened (`app.core.types.replaying`). Every name and detail is invented.
"""
