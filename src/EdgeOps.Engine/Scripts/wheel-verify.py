# Install-TorchWheel: imports a package in a fresh interpreter and prints what it found (module=, version=, dist=,
# cuda=0|1). argv: the distribution and its default module name. The module imported is the distribution's own
# (top_level.txt: cv2 for opencv-python); its version is the module's __version__, else the distribution's.
import importlib, sys
dist, name, top, dv = sys.argv[1], sys.argv[2], [], None
try:
    from importlib import metadata
    d = metadata.distribution(dist)
    dv, top = d.version, (d.read_text('top_level.txt') or '').split()
except Exception:
    try:
        import pkg_resources
        d = pkg_resources.get_distribution(dist)
        dv = d.version
        top = d.get_metadata('top_level.txt').split() if d.has_metadata('top_level.txt') else []
    except Exception:
        pass
if top and name not in top:
    name = top[0]
m = importlib.import_module(name)
sys.stdout.write('module=%s\n' % name)
sys.stdout.write('version=%s\n' % (getattr(m, '__version__', None) or dv or ''))
sys.stdout.write('dist=%s\n' % (dv or ''))
c = False
try:
    c = bool(m.cuda.is_available())
except Exception:
    pass
sys.stdout.write('cuda=%d\n' % c)
