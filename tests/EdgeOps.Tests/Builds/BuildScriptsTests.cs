using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using Xunit;

namespace EdgeOps.Tests.Builds;

/// <summary>The build host's scripts: shellcheck-clean as POSIX sh (tests/setup/builds.sh installs shellcheck), and embedded as they are in the repository.</summary>
public sealed class BuildScriptsTests
{
    static readonly string Dir = Path.Combine(Repo.Root, "src", "EdgeOps.Engine", "Builds", "Scripts");

    [Fact]
    public void Scripts_are_shellcheck_clean()
    {
        var scripts = Directory.GetFiles(Dir, "*.sh").OrderBy(f => f).ToList();
        Assert.Equal(new[] { "runner.sh", "start.sh", "status.sh", "stop.sh" }, scripts.Select(Path.GetFileName));
        var r = HostProcess.Run("shellcheck", new[] { "-s", "sh", "-S", "style" }.Concat(scripts).ToList());
        Assert.True(r.exit == 0, r.stdout + r.stderr);
    }

    [Fact]
    public void Embedded_scripts_are_the_repository_files()
    {
        foreach (var f in Directory.GetFiles(Dir, "*.sh"))
            Assert.Equal(File.ReadAllText(f).Replace("\r\n", "\n"), EdgeOps.Builds.BuildScripts.Load(Path.GetFileName(f)));
    }
}
