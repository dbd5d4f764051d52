# Install-TorchWheel: what the device's Python says about itself, one key=value per line: version, executable, venv,
# platform, home, whether site-packages is writable, the PEP 668 marker, pip, the installed versions of the packages
# named as arguments, the wheel tags pip accepts (in its order of preference), L4T and CUDA. No pip index, no network.
# Runs on Python 3.6+ (Jetson Nano's Ubuntu 18.04) and pip 9+: the tag API moved between pip versions.
import os, sys, platform, sysconfig
def out(k, v):
    sys.stdout.write('%s=%s\n' % (k, '' if v is None else str(v).replace('\n', ' ')))
def read(p):
    try:
        with open(p) as f:
            return f.read()
    except Exception:
        return ''
out('python', platform.python_version())
out('executable', sys.executable)
out('venv', int(sys.prefix != getattr(sys, 'base_prefix', getattr(sys, 'real_prefix', sys.prefix))))
out('platform', sysconfig.get_platform())
out('machine', platform.machine())
out('home', os.path.expanduser('~'))
out('writable', int(os.access(sysconfig.get_paths()['purelib'], os.W_OK)))
out('externally_managed', int(os.path.exists(os.path.join(sysconfig.get_paths()['stdlib'], 'EXTERNALLY-MANAGED'))))
try:
    import pip
    out('pip', pip.__version__)
except Exception:
    out('pip', '')
def version(name):
    try:
        from importlib.metadata import version as v
        return v(name)
    except ImportError:
        try:
            import pkg_resources
            return pkg_resources.get_distribution(name).version
        except Exception:
            return None
    except Exception:
        return None
for n in sys.argv[1:]:
    out('installed.' + n, version(n))
tags = []
try:
    from pip._internal.utils.compatibility_tags import get_supported
    tags = get_supported()
except Exception:
    try:
        from pip._internal.pep425tags import get_supported
        tags = get_supported()
    except Exception:
        try:
            from pip.pep425tags import get_supported
            tags = get_supported()
        except Exception:
            try:
                from pip._vendor.packaging.tags import sys_tags
            except Exception:
                from packaging.tags import sys_tags
            tags = list(sys_tags())
for t in tags:
    out('tag', '-'.join(t) if isinstance(t, tuple) else str(t))
out('l4t', (read('/etc/nv_tegra_release').splitlines() or [''])[0])
cuda = read('/usr/local/cuda/version.json') or read('/usr/local/cuda/version.txt')
out('cuda', cuda.replace('\n', ' ')[:400])
