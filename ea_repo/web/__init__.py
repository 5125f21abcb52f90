"""``ea serve``: a local, read-only web explorer over the library the command line uses.

:func:`~ea_repo.web.app.create_app` builds the Flask app over one repository;
:func:`~ea_repo.web.server.serve` checks where it may listen and runs it. Nothing outside
this package imports it: the command imports it when it runs, so that no other command
pays for Flask.
"""
