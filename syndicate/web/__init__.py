"""The web portal: templates, static files, sessions, languages and the view functions pages are built from."""
