"""Fetching dataset files the way MXNet 1.x does: same URLs, same sha1 checks.

Files are served from MXNet's Gluon repository (``$MXNET_GLUON_REPO``, default
MXNet's S3 bucket) under ``gluon/dataset/<namespace>/<file>``. A download goes to a
temporary name and is renamed into place only after its sha1 matched, so an
interrupted or corrupt download never looks like a usable file.
"""
from __future__ import annotations

import os

from ...utils import download_file  # a module attribute: tests replace it here

_DEFAULT_REPO = 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'


class DatasetFilesUnavailable(RuntimeError):
    """A dataset's files are neither in its root directory nor downloadable."""


def data_dir():
    """MXNet's data directory: ``$MXNET_HOME``, default ``~/.mxnet``."""
    return os.getenv('MXNET_HOME', os.path.join(os.path.expanduser('~'), '.mxnet'))


def default_root(name):
    """Default ``root`` of a dataset, e.g. ``~/.mxnet/datasets/mnist``."""
    return os.path.join(data_dir(), 'datasets', name)


def repo_file_url(namespace, filename):
    """URL of ``filename`` in the Gluon dataset repository (MXNet's _get_repo_file_url)."""
    repo = os.environ.get('MXNET_GLUON_REPO', _DEFAULT_REPO)
    if not repo.endswith('/'):
        repo += '/'
    return '%sgluon/dataset/%s/%s' % (repo, namespace, filename)


def fetch(dataset, namespace, root, filename, sha1_hash, manual):
    """Download ``filename`` into ``root``; on failure say what to place there by hand.

    ``manual`` holds lines naming the files that would satisfy the dataset if put in
    ``root`` by hand; they end the error message.
    """
    url = repo_file_url(namespace, filename)
    try:
        os.makedirs(root, exist_ok=True)
        return download_file(url, os.path.join(root, filename), sha1_hash)
    except Exception as err:  # network errors come in many types
        lines = ['%s: could not download %s (%s: %s).' % (dataset, url, type(err).__name__, err),
                 'Place these files by hand in the root directory %s:' % root]
        lines += ['  ' + line for line in manual]
        lines.append('(or point MXNET_GLUON_REPO at a mirror of MXNet\'s Gluon repository)')
        raise DatasetFilesUnavailable('\n'.join(lines)) from err
