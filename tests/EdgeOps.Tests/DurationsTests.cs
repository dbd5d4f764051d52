using Xunit;

namespace EdgeOps.Tests
{
    /// <summary>The one duration grammar of every -Duration, -Within, -Align, -EndGuard and -MaxLeaseDuration.</summary>
    public class DurationsTests
    {
        [Theory]
        [InlineData("1500ms", 1.5)]
        [InlineData("30s", 30)]
        [InlineData("90", 90)]                  // a bare number is seconds
        [InlineData("2.5", 2.5)]
        [InlineData(" 45 ", 45)]
        [InlineData("2m", 120)]
        [InlineData("90m", 5400)]
        [InlineData("5 min", 300)]
        [InlineData("2h", 7200)]
        [InlineData("1.5h", 5400)]
        [InlineData("1h30m", 5400)]
        [InlineData("1h 30m 15s", 5415)]
        [InlineData("30m1h", 5400)]             // any order
        [InlineData("1s500ms", 1.5)]
        [InlineData("1d", 86400)]
        [InlineData("1d12h", 129600)]
        [InlineData("7d", 604800)]
        [InlineData("1w", 604800)]
        [InlineData("2 weeks", 1209600)]
        [InlineData("3 hours", 10800)]
        [InlineData("10 seconds", 10)]
        [InlineData("250 milliseconds", 0.25)]
        [InlineData("1H30M", 5400)]
        [InlineData(".5h", 1800)]
        [InlineData("02:00:00", 7200)]
        [InlineData("00:00:30", 30)]
        [InlineData("00:00:00.5", 0.5)]
        [InlineData("1.12:00:00", 129600)]
        [InlineData("01:30", 5400)]             // hh:mm, as TimeSpan reads it
        [InlineData("0", 0)]
        [InlineData("0s", 0)]
        public void Text_is_read_in_one_grammar(string text, double seconds) =>
            Assert.Equal(TimeSpan.FromSeconds(seconds), Durations.Parse(text, "Duration"));

        [Fact]
        public void Numbers_are_seconds_and_TimeSpans_themselves()
        {
            Assert.Equal(TimeSpan.FromSeconds(90), Durations.Parse(90, "Duration"));
            Assert.Equal(TimeSpan.FromSeconds(30), Durations.Parse((short)30, "Duration"));   // what PowerShell makes of 30s
            Assert.Equal(TimeSpan.FromSeconds(1.5), Durations.Parse(1.5, "Duration"));
            Assert.Equal(TimeSpan.FromSeconds(2), Durations.Parse(2m, "Duration"));
            Assert.Equal(TimeSpan.FromHours(3), Durations.Parse(TimeSpan.FromHours(3), "Duration"));
            Assert.Equal(TimeSpan.FromDays(7), Durations.Parse(TimeSpan.FromDays(7).ToString(), "Duration"));   // "7.00:00:00" round-trips
        }

        [Theory]
        [InlineData("", "is empty")]
        [InlineData("   ", "is empty")]
        [InlineData("-5m", "is negative")]
        [InlineData("-00:05:00", "is negative")]
        [InlineData("-90", "is negative")]
        [InlineData("99999999999d", "is too long")]
        [InlineData("9999999999999999999999999999999999s", "is too long")]
        [InlineData("99999999999999999999", "is too long")]
        [InlineData("1h1h", "names a unit twice")]
        [InlineData("two hours", "is not a duration")]
        [InlineData("soon", "is not a duration")]
        [InlineData("1x", "is not a duration")]
        [InlineData("1 h m", "is not a duration")]
        [InlineData("1e3", "is not a duration")]
        [InlineData("1,5h", "is not a duration")]
        [InlineData("1hour30", "is not a duration")]
        [InlineData("25:00:00", "is not a duration")]
        [InlineData("1mo", "is not a duration")]
        [InlineData("$(rm -rf ~)", "is not a duration")]
        [InlineData("1h; reboot", "is not a duration")]
        [InlineData("'1h'", "is not a duration")]
        [InlineData("1h\nrm -rf /", "is not a duration")]
        public void Bad_text_is_refused_naming_the_parameter_with_examples(string text, string what)
        {
            var e = Assert.Throws<EdgeOpsException>(() => Durations.Parse(text, "EndGuard"));
            Assert.Equal("InvalidTimeSpan", e.ErrorId);
            Assert.Equal("InvalidArgument", e.Category);
            Assert.StartsWith("-EndGuard '", e.Message);
            Assert.Contains(what, e.Message);
            foreach (var example in new[] { "30s", "1h30m", "2h", "1d", "90", "01:30:00" }) Assert.Contains(example, e.Message);
            Assert.DoesNotContain("\n", e.Message);             // control characters never start a second line
        }

        [Fact]
        public void Zero_is_refused_only_where_it_means_nothing()
        {
            Assert.Equal(TimeSpan.Zero, Durations.Parse("0m", "EndGuard"));
            var e = Assert.Throws<EdgeOpsException>(() => Durations.Parse("0s", "Duration", allowZero: false));
            Assert.Contains("-Duration '0s' is zero", e.Message);
            Assert.Contains("is negative", Assert.Throws<EdgeOpsException>(() => Durations.Parse(-3, "Duration")).Message);
            Assert.Contains("is negative", Assert.Throws<EdgeOpsException>(() => Durations.Parse(TimeSpan.FromMinutes(-1), "Align")).Message);
            Assert.Contains("is too long", Assert.Throws<EdgeOpsException>(() => Durations.Parse(1e300, "Duration")).Message);
            Assert.Contains("is not a duration", Assert.Throws<EdgeOpsException>(() => Durations.Parse(double.NaN, "Duration")).Message);
            Assert.Contains("is empty", Assert.Throws<EdgeOpsException>(() => Durations.Parse(null, "Within")).Message);
        }

        [Fact]
        public void Long_hostile_input_is_cut_short_in_the_message()
        {
            var e = Assert.Throws<EdgeOpsException>(() => Durations.Parse(new string('x', 5000), "Duration"));
            Assert.True(e.Message.Length < 400, e.Message);
            Assert.Contains("xxx...'", e.Message);
        }
    }
}
