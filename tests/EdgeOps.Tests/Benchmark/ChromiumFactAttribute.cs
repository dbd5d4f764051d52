using EdgeOps.Tests.Fleet;
using Xunit;

namespace EdgeOps.Tests.Benchmark
{
    /// <summary>
    /// A test that renders a page in headless Chromium and reads the screenshot with ImageMagick (tests/setup/report.sh
    /// installs both). Missing: skipped with the reason shown, except under CI=true, where it runs (and fails) so a CI
    /// that lost Chromium does not go green by skipping.
    /// </summary>
    public sealed class ChromiumFactAttribute : FactAttribute
    {
        public ChromiumFactAttribute()
        {
            if (Skip == null && SkipReasonFor(Chromium.Path, Chromium.Tool("stream"), FleetRequirements.IsCI) is { } reason) Skip = reason;
        }

        public static string? SkipReasonFor(string? chromium, string? imageMagick, bool isCI) =>
            isCI || (chromium != null && imageMagick != null) ? null
            : $"{(chromium == null ? "chromium" : "ImageMagick")} is not installed: run tests/setup/report.sh as root (apt-get install chromium imagemagick fonts-noto-cjk). Under CI=true this test fails instead of skipping.";
    }
}
