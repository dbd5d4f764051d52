using System.Management.Automation;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Storage;
using Xunit;

namespace EdgeOps.Tests.Security;

/// <summary>
/// Hostile .ics input (issue 17, finding 9) through the real Get-LeaseWindow: arithmetic that would overflow is an
/// InvalidICalendar error naming the line, expansion and body size are capped. Real files, a real HTTP feed on loopback.
/// </summary>
public sealed class HostileCalendarTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("edgeops-ics-").FullName;
    readonly PowerShellSession _ps = new();
    public void Dispose() { _ps.Dispose(); try { Directory.Delete(_dir, true); } catch (IOException) { } }

    (string Id, string Text) Search(string calendar, string extra = "")
    {
        try
        {
            var r = _ps.Run($"Get-LeaseWindow -Calendar $args[0] -Duration 1h -From '2026-06-01T00:00:00Z' {extra}", calendar);
            var e = r.Errors.FirstOrDefault();
            return (e?.Id() ?? "", e?.ToString() ?? "");
        }
        catch (RuntimeException e) { return (e.ErrorRecord.Id(), e.Message); }
    }

    string Ics(string name, params string[] eventLines)
    {
        var lines = new List<string> { "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//hostile//EN", "X-WR-CALNAME:pi5-lab", "BEGIN:VEVENT", "UID:hostile-1" };
        lines.AddRange(eventLines);
        lines.AddRange(new[] { "END:VEVENT", "END:VCALENDAR" });
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, string.Join("\r\n", lines) + "\r\n");
        return path;
    }

    [Theory]
    [InlineData("huge-duration.ics", "DTSTART:20260601T100000Z", "DURATION:P99999999999W")]
    [InlineData("long-duration.ics", "DTSTART:20260601T100000Z", "DURATION:P9999999D")]
    [InlineData("max-interval.ics", "DTSTART:20260601T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;INTERVAL=2147483647;COUNT=5")]
    [InlineData("weekly-interval.ics", "DTSTART:20260601T100000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;INTERVAL=2147483647")]
    [InlineData("year-9999.ics", "DTSTART:99991231T230000Z", "DURATION:P3D")]
    public void Crafted_calendars_give_InvalidICalendar_naming_the_line(string name, params string[] lines)
    {
        var (id, text) = Search(Ics(name, lines));
        Assert.Equal("InvalidICalendar", id);
        Assert.Contains("line 5", text);                 // BEGIN:VEVENT of the event at fault
        Assert.Contains("hostile-1", text);
        Assert.DoesNotContain("System.", text);
    }

    [Fact]
    public void An_expansion_beyond_the_cap_is_refused()
    {
        var (id, text) = Search(Ics("minutely.ics", "DTSTART:20260601T000000Z", "DURATION:PT1M", "RRULE:FREQ=MINUTELY"), "-Within 200d");
        Assert.Equal("InvalidICalendar", id);
        Assert.Contains("200000", text);
    }

    [Fact]
    public void A_feed_larger_than_the_cap_is_refused_without_reading_it_all()
    {
        var root = Path.Combine(_dir, "feed");
        Directory.CreateDirectory(root);
        using (var f = File.Create(Path.Combine(root, "big.ics")))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
            f.SetLength(33L << 20);
        }
        using var server = new RangeHttpServer(root);
        var (id, text) = Search(server.BaseUrl + "big.ics");
        Assert.Equal("CalendarTooLarge", id);
        Assert.Contains("32 MiB", text);
        var (fid, _) = Search(Path.Combine(root, "big.ics"));
        Assert.Equal("CalendarTooLarge", fid);
    }
}
