using System.Management.Automation;
using EdgeOps.Tests.Backup;
using EdgeOps.Tests.Fleet;
using EdgeOps.Tests.Infrastructure;
using EdgeOps.Tests.Storage;
using Xunit;

namespace EdgeOps.Tests.Security;

/// <summary>
/// Tokens in URLs never reach verbose output, errors or results (issue 17, finding 8): an iCalendar feed with a token
/// in its query on a real HTTP server, and SD-card images restored and tested straight from Azurite by SAS URL.
/// </summary>
[Collection("storage")]
public sealed class RedactionTests : IDisposable
{
    const long MiB = 1024 * 1024;
    const string FeedToken = "feedtoken-5ecret-9f3a";
    readonly StorageServers _servers;
    readonly List<IDisposable> _cleanup = new();
    readonly string _dir = Directory.CreateTempSubdirectory("edgeops-redact-").FullName;
    public RedactionTests(StorageServers servers) { _servers = servers; }

    public void Dispose()
    {
        foreach (var d in _cleanup.AsEnumerable().Reverse()) d.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>Fails naming the line that holds the secret.</summary>
    static void Absent(string secret, string text)
    {
        var line = text.Split('\n').FirstOrDefault(l => l.Contains(secret));
        Assert.True(line == null, "secret found in: " + line);
    }

    static string Everything(PSRun r) => r.AllText + "\n" + string.Join("\n", r.Output.SelectMany(o => o.Properties.Select(p => p.Value?.ToString() ?? "")));

    [Fact]
    public void A_feed_token_is_in_no_verbose_message_error_or_result()
    {
        File.WriteAllText(Path.Combine(_dir, "lab.ics"), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:pi5-lab\r\nBEGIN:VEVENT\r\nUID:a\r\n" +
                                                          "DTSTART:20260601T100000Z\r\nDTEND:20260601T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
        File.WriteAllText(Path.Combine(_dir, "notcal.ics"), "<html>login page</html>");
        using var server = new RangeHttpServer(_dir);
        using var ps = new PowerShellSession();
        var ok = ps.Run("Get-LeaseWindow -Calendar $args[0] -Duration 1h -From '2026-06-01T00:00:00Z' -Within 1d -Verbose", server.BaseUrl + "lab.ics?token=" + FeedToken);
        Assert.True(ok.Errors.Count == 0, string.Join("\n", ok.Errors));
        Assert.NotEmpty(ok.Output);
        Assert.Contains(ok.Verbose, v => v.Contains("lab.ics"));
        Assert.DoesNotContain(FeedToken, Everything(ok));

        string error;
        try { var bad = ps.Run("Get-LeaseWindow -Calendar $args[0] -Duration 1h -Verbose", server.BaseUrl + "notcal.ics?token=" + FeedToken); error = Everything(bad); }
        catch (RuntimeException e) { error = e.ErrorRecord.ToString() + e.Message; }
        Assert.Contains("notcal.ics", error);
        Assert.DoesNotContain(FeedToken, error);
    }

    [CardFact]
    public void A_SAS_signature_is_in_no_result_of_restore_or_test()
    {
        var card = PrivateSpoolTests.SmallCard(_cleanup);
        var sas = _servers.NewAzureSasLocation("cards");
        var sig = new Uri(sas).Query.TrimStart('?').Split('&').First(p => p.StartsWith("sig=")).Substring(4);   // as written in the URL
        using var ps = new PowerShellSession();
        var b = ps.Run("Backup-SdCard -ComputerName redact -Transport Local -DevicePath $args[0] -Destination $args[1] -Verbose", card.Loop!, sas);
        Assert.True(b.Errors.Count == 0, string.Join("\n", b.Errors));
        Absent(sig, Everything(b));
        var shown = (string)b.Output.Single().Properties["Path"].Value;
        var ub = new UriBuilder(sas);
        ub.Path = ub.Path.TrimEnd('/') + "/" + shown.Substring(shown.IndexOf("/redact/", StringComparison.Ordinal) + 1);
        var image = ub.Uri.ToString();
        Assert.Contains("sig=", image);

        var t = ps.Run("Test-SdCardBackup -Path $args[0] -Verbose", image);
        Assert.True(t.Errors.Count == 0, string.Join("\n", t.Errors));
        Absent(sig, Everything(t));

        using var target = new CardImage(64 * MiB, "label: dos\ntype=83\n", "redact-target.img");
        var r = ps.Run("Restore-SdCard -Path $args[0] -DevicePath $args[1] -Confirm:$false -Verbose", image, target.Loop!);
        Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
        var path = (string)r.Output.Single().Properties["Path"].Value;
        Assert.EndsWith(".img.zst", path);
        Absent(sig, Everything(r));
    }
}
