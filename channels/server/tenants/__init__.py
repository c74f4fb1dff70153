"""Many cities on one server: a tenants file or the registry in the server's database, each city's own index,
store, desk and theme, one shared model.

`config` reads and checks the file, `registry` keeps it in the database, `follow` keeps a running server
in step with it, `build` builds each city's index,
`parts` shares the model and the normaliser, `server` routes each request to its city by host name,
`cli` is `madoguchi tenants`.
"""
