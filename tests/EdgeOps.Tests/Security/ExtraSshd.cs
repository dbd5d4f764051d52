using EdgeOps.Tests.Fleet;

namespace EdgeOps.Tests.Security;

/// <summary>A second sshd in the device on its own port, with only the given host key types (fresh keys).</summary>
public sealed class ExtraSshd : IDisposable
{
    readonly SimulatedDevice _d;
    public int Port { get; }
    public string KnownHostsName => $"[{_d.Address}]:{Port}";

    public ExtraSshd(SimulatedDevice d, int port, params string[] keyTypes) : this(d, port, keyTypes, "") { }

    /// <summary>With extra sshd_config lines (e.g. "KexAlgorithms diffie-hellman-group14-sha1").</summary>
    public ExtraSshd(SimulatedDevice d, int port, string[] keyTypes, string extraConfig)
    {
        _d = d; Port = port;
        var dir = $"/etc/ssh/extra{port}";
        var keys = string.Join(" && ", keyTypes.Select(t => $"ssh-keygen -q -t {t} -N '' -f {dir}/host_{t}_key"));
        var hostKeys = string.Join("\\n", keyTypes.Select(t => $"HostKey {dir}/host_{t}_key"));
        d.ExecOk($"rm -rf {dir} && mkdir -p {dir} && {keys} && " +
                 $"grep -v -e '^ListenAddress' -e '^HostKey' -e '^PidFile' /etc/ssh/sshd_config_edgeops > {dir}/sshd_config && " +
                 $"printf 'ListenAddress {d.Address}:{port}\\nPidFile /run/sshd-extra{port}.pid\\n{hostKeys}\\n{extraConfig}\\n' >> {dir}/sshd_config && " +
                 $"/usr/sbin/sshd -f {dir}/sshd_config -E /var/log/sshd-extra{port}.log");
        FleetTestKit.Eventually(() => PortOpen(), TimeSpan.FromSeconds(10), $"extra sshd on {d.Address}:{port} did not start");
    }

    bool PortOpen()
    {
        try
        {
            using var c = new System.Net.Sockets.TcpClient();
            return c.ConnectAsync(System.Net.IPAddress.Parse(_d.Address), Port).Wait(500) && c.Connected;
        }
        catch (Exception) { return false; }
    }

    /// <summary>The public half of this sshd's host key of a type, as a known_hosts line for it.</summary>
    public string KnownHostsLine(string keyType)
    {
        var pub = _d.ExecOk($"cat /etc/ssh/extra{Port}/host_{keyType}_key.pub").Trim().Split(' ');
        return $"{KnownHostsName} {pub[0]} {pub[1]}";
    }

    public void Dispose()
    {
        _d.Exec($"kill $(cat /run/sshd-extra{Port}.pid) 2>/dev/null; rm -rf /etc/ssh/extra{Port} /run/sshd-extra{Port}.pid");
        EdgeOps.Transport.TransportFactory.CloseAll();
    }
}
