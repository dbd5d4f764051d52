using System.Globalization;
using System.Text;

namespace EdgeOps.Tests.Builds;

/// <summary>
/// Small real projects the build tests write themselves: a setuptools C extension, a CMake + Ninja extension
/// (its compile steps print Ninja's [n/m] lines), and a recorder whose setup.py writes the environment and
/// arguments that reached it (the pytorch and opencv recipes are checked with it; no real PyTorch or OpenCV is built).
/// </summary>
public static class TestProjects
{
    /// <summary>edgecalc 1.2.0: calc(a, b) = a * b + 7, in C, built by setuptools.</summary>
    public static string CExtension(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "src"));
        File.WriteAllText(Path.Combine(dir, "setup.py"),
            "from setuptools import setup, Extension\n" +
            "setup(name='edgecalc', version='1.2.0', ext_modules=[Extension('edgecalc', ['src/edgecalc.c'])])\n");
        File.WriteAllText(Path.Combine(dir, "src", "edgecalc.c"), """
            #include <Python.h>
            static PyObject *calc(PyObject *self, PyObject *args) {
                long a, b;
                if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
                return PyLong_FromLong(a * b + 7);
            }
            static PyMethodDef methods[] = {{"calc", calc, METH_VARARGS, "a * b + 7"}, {NULL, NULL, 0, NULL}};
            static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "edgecalc", NULL, -1, methods};
            PyMODINIT_FUNC PyInit_edgecalc(void) { return PyModule_Create(&module); }
            """);
        return dir;
    }

    /// <summary>What a kernel source costs the compiler.</summary>
    public enum Weight
    {
        /// <summary>About a second of gcc -O2 and 50 MB each.</summary>
        Heavy,
        /// <summary>A 600 000-element table: about 110 MB of cc1 memory each (the out-of-memory test).</summary>
        Big,
        /// <summary>Trivial.</summary>
        Light,
    }

    /// <summary>
    /// edgevec 0.3.0: dot(a, b) over int lists and kernels() = the number of kernel objects linked, built by a
    /// setup.py that drives CMake with the Ninja generator in a build folder kept in the source tree (as PyTorch's does),
    /// so a second run compiles only what is left.
    /// </summary>
    public static string CMakeNinja(string dir, int kernels, Weight weight = Weight.Heavy)
    {
        Directory.CreateDirectory(Path.Combine(dir, "src"));
        File.WriteAllText(Path.Combine(dir, "setup.py"), """
            import os, shutil, subprocess, sys
            from setuptools import setup, Extension
            from setuptools.command.build_ext import build_ext

            class CMakeExtension(Extension):
                def __init__(self, name):
                    super().__init__(name, sources=[])

            class CMakeBuild(build_ext):
                def build_extension(self, ext):
                    here = os.path.dirname(os.path.abspath(__file__))
                    build = os.path.join(here, 'build', 'cmake')
                    os.makedirs(build, exist_ok=True)
                    if not os.path.exists(os.path.join(build, 'build.ninja')):
                        subprocess.check_call(['cmake', '-G', 'Ninja', '-S', here, '-B', build, '-DCMAKE_BUILD_TYPE=Release',
                                               '-DPython3_EXECUTABLE=' + sys.executable])
                    jobs = os.environ.get('CMAKE_BUILD_PARALLEL_LEVEL', '1')
                    subprocess.check_call(['cmake', '--build', build, '--parallel', jobs])
                    target = self.get_ext_fullpath(ext.name)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    built = [f for f in os.listdir(build) if f.startswith('edgevec') and f.endswith('.so')]
                    shutil.copyfile(os.path.join(build, built[0]), target)

            setup(name='edgevec', version='0.3.0', ext_modules=[CMakeExtension('edgevec')], cmdclass={'build_ext': CMakeBuild})
            """);
        var names = Enumerable.Range(0, kernels).Select(i => $"src/k{i}.c").ToList();
        File.WriteAllText(Path.Combine(dir, "CMakeLists.txt"),
            "cmake_minimum_required(VERSION 3.18)\nproject(edgevec C)\n" +
            "find_package(Python3 COMPONENTS Interpreter Development.Module REQUIRED)\n" +
            $"Python3_add_library(edgevec MODULE src/module.c {string.Join(" ", names)})\n");
        var module = new StringBuilder("#include <Python.h>\n");
        for (int i = 0; i < kernels; i++) module.Append(CultureInfo.InvariantCulture, $"int kernel{i}(int x);\n");
        module.Append("""
            static PyObject *dot(PyObject *self, PyObject *args) {
                PyObject *a, *b;
                if (!PyArg_ParseTuple(args, "OO", &a, &b)) return NULL;
                Py_ssize_t n = PyList_Size(a);
                long s = 0;
                for (Py_ssize_t i = 0; i < n; i++) s += PyLong_AsLong(PyList_GetItem(a, i)) * PyLong_AsLong(PyList_GetItem(b, i));
                return PyLong_FromLong(s);
            }
            static PyObject *count(PyObject *self, PyObject *args) {
                int linked = 0;
            """);
        for (int i = 0; i < kernels; i++) module.Append(CultureInfo.InvariantCulture, $"    linked += kernel{i}(0) == 0 ? 1 : 1;\n");
        module.Append("""
                return PyLong_FromLong(linked);
            }
            static PyMethodDef methods[] = {{"dot", dot, METH_VARARGS, "dot product"}, {"kernels", count, METH_NOARGS, "kernels linked"}, {NULL, NULL, 0, NULL}};
            static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "edgevec", NULL, -1, methods};
            PyMODINIT_FUNC PyInit_edgevec(void) { return PyModule_Create(&module); }
            """);
        File.WriteAllText(Path.Combine(dir, "src", "module.c"), module.ToString());
        for (int i = 0; i < kernels; i++)
            File.WriteAllText(Path.Combine(dir, "src", $"k{i}.c"), Kernel(i, weight));
        return dir;
    }

    static string Kernel(int i, Weight w)
    {
        var sb = new StringBuilder();
        switch (w)
        {
            case Weight.Big:
                sb.Append(CultureInfo.InvariantCulture, $"static const int table{i}[] = {{");
                for (int j = 0; j < 600_000; j++) { if (j > 0) sb.Append(','); sb.Append((j * 7 + i) % 1000); }
                sb.Append("};\n");
                sb.Append(CultureInfo.InvariantCulture, $"int kernel{i}(int x) {{ return table{i}[x % 600000]; }}\n");
                break;
            case Weight.Heavy:
                sb.Append(CultureInfo.InvariantCulture, $"int kernel{i}(int x) {{\n    int acc = {i};\n");
                for (int j = 0; j < 800; j++) sb.Append(CultureInfo.InvariantCulture, $"    acc = acc * 31 + (x ^ {j + i}) * {j % 97 + 1};\n");
                sb.Append("    return acc;\n}\n");
                break;
            default:
                sb.Append(CultureInfo.InvariantCulture, $"int kernel{i}(int x) {{ return x + {i}; }}\n");
                break;
        }
        return sb.ToString();
    }

    /// <summary>
    /// edgerecord 0.1.0: a pure-Python wheel whose setup.py writes recorded.json (the build environment's variables
    /// the recipes set, and sys.argv) beside itself; stands in for PyTorch's and opencv-python's setup.py.
    /// </summary>
    public static string Recorder(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "edgerecord"));
        File.WriteAllText(Path.Combine(dir, "edgerecord", "__init__.py"), "__version__ = '0.1.0'\n");
        File.WriteAllText(Path.Combine(dir, "setup.py"), """
            import json, os, sys
            from setuptools import setup
            here = os.path.dirname(os.path.abspath(__file__))
            record = {'argv': sys.argv, 'executable': sys.executable, 'env': dict(os.environ)}
            with open(os.path.join(here, 'recorded.json'), 'a') as f:
                f.write(json.dumps(record) + '\n')
            setup(name='edgerecord', version='0.1.0', packages=['edgerecord'])
            """);
        return dir;
    }
}
