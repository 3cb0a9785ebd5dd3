"""pkgpush: publish Python distributions to many package indexes at once.

This package runs pkgpush's command line (JavaScript, bundled in ``_js/``) on Node.js; see
``pkgpush --help``.
"""
