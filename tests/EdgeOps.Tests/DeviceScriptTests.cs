using System.Diagnostics;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests
{
    /// <summary>
    /// The scripts that run on devices are files (src/EdgeOps.Engine/Scripts/), embedded in the engine and linted here
    /// with the real linters: shellcheck for sh, perl -c for perl, py_compile for python.
    /// </summary>
    public class DeviceScriptTests
    {
        static string Dir => Path.Combine(Repo.Root, "src", "EdgeOps.Engine", "Scripts");

        public static IEnumerable<object[]> Scripts() =>
            Directory.GetFiles(Path.Combine(Repo.Root, "src", "EdgeOps.Engine", "Scripts")).Select(f => new object[] { Path.GetFileName(f) });

        [Theory]
        [MemberData(nameof(Scripts))]
        public void Every_device_script_passes_its_linter_and_is_embedded_as_it_is_on_disk(string name)
        {
            var path = Path.Combine(Dir, name);
            var (program, args) = Path.GetExtension(name) switch
            {
                ".sh" => ("shellcheck", new[] { "-s", "sh", "-S", "info", path }),
                ".pl" => ("perl", new[] { "-c", path }),
                ".py" => ("python3", new[] { "-m", "py_compile", path }),
                var ext => throw new Xunit.Sdk.XunitException($"{name}: no linter for '{ext}' scripts; add one here."),
            };
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            // py_compile writes its .pyc beside the script otherwise, where the build would embed it
            var pycache = Directory.CreateTempSubdirectory("edgeops-pycache-").FullName;
            psi.Environment["PYTHONPYCACHEPREFIX"] = pycache;
            using var p = Process.Start(psi) ?? throw new Xunit.Sdk.XunitException($"{program} did not start: run tests/setup/scripts.sh");
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Directory.Delete(pycache, true);
            Assert.True(p.ExitCode == 0, $"{program} {name}:\n{output}");
            Assert.Equal(File.ReadAllText(path), EdgeOps.EmbeddedScripts.Text(name));
        }

        [Fact]
        public void There_are_device_scripts_to_lint()
        {
            var names = Scripts().Select(o => (string)o[0]).ToList();
            Assert.Contains("backup-probe.sh", names);
            Assert.Contains("swap-apply.sh", names);
            Assert.Contains("wheel-python-probe.py", names);
            Assert.Contains("wheel-keep-copy.py", names);
        }
    }
}
