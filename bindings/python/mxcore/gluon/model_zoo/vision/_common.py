"""Helpers shared by the vision model constructors."""


def check_no_pretrained(kwargs):
    """Drop MXNet's download arguments (``ctx``, ``root``) and refuse ``pretrained=True``:
    mxcore downloads nothing; load a ``.params`` file with ``load_parameters`` instead."""
    if kwargs.pop('pretrained', False):
        raise ValueError('mxcore does not download pretrained weights; build the model and '
                         'load a .params file with net.load_parameters(path)')
    kwargs.pop('ctx', None)
    kwargs.pop('root', None)
    return kwargs
