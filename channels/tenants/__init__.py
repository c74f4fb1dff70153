"""Many cities on one server: a tenants file, each city's own index, store, desk and theme, one shared model.

`config` reads and checks the file, `build` builds each city's index, `parts` shares the model and the
Sudachi lock, `server` routes each request to its city by host name, `cli` is `madoguchi tenants`.
"""
