# Install-TorchWheel: imports the package named as the argument in a fresh interpreter and prints its version and
# whether CUDA is available (version=..., cuda=0|1).
import importlib, sys
m = importlib.import_module(sys.argv[1])
sys.stdout.write('version=%s\n' % getattr(m, '__version__', ''))
c = False
try:
    c = bool(m.cuda.is_available())
except Exception:
    pass
sys.stdout.write('cuda=%d\n' % c)
