# What the Pester tests share: Invoke-Process (a program, its output and exit code), and a simulated fleet: real sshd devices made by tests/fleet/device.sh, allocated with the
# same 127.0.X.* lock files as tests/EdgeOps.Tests/Fleet/SimulatedFleet.cs (so both kinds of test run side by
# side, and either one's stale-run cleanup removes the other's leftovers only once their owner process is gone).
Set-StrictMode -Version Latest

$script:BaseDir = '/var/tmp/edgeops-fleet'
$script:DeviceScript = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../fleet/device.sh'))
$script:Kinds = 'raspberrypi4', 'raspberrypi5', 'jetson-nano'

function Test-FleetAvailable {
    # root (loop devices, mounts, namespaces) and sshd: what .ci/run installs
    (& id -u) -eq '0' -and (Test-Path /usr/sbin/sshd)
}

function Invoke-Process {
    <# Runs a program (no shell) and returns ExitCode, Output, Errors and Lines (non-empty output lines). #>
    param([string] $File, [string[]] $Arguments, [string] $WorkingDirectory, [hashtable] $Environment = @{}, [string] $Stdin)
    $psi = [Diagnostics.ProcessStartInfo]::new($File)
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    if ($WorkingDirectory) { $psi.WorkingDirectory = $WorkingDirectory }
    # plain text from a child pwsh: its error text ends up in failure messages, and the NUnit report refuses ESC characters
    $psi.Environment['NO_COLOR'] = '1'

    foreach ($k in $Environment.Keys) { if ($null -eq $Environment[$k]) { $psi.Environment.Remove($k) | Out-Null } else { $psi.Environment[$k] = [string]$Environment[$k] } }
    $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.RedirectStandardInput = $true
    $p = [Diagnostics.Process]::Start($psi)
    if ($Stdin) { $p.StandardInput.Write($Stdin) }
    $p.StandardInput.Close()
    $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out.Result; Errors = $err.Result
        Lines = @($out.Result -split "`n" | ForEach-Object TrimEnd | Where-Object { $_ }) }
}

function Invoke-Native([string] $File, [string[]] $Arguments, [hashtable] $Environment = @{}, [string] $Stdin) {
    $r = Invoke-Process -File $File -Arguments $Arguments -Environment $Environment -Stdin $Stdin
    if ($r.ExitCode -ne 0) { throw "$File $($Arguments -join ' ') failed ($($r.ExitCode)): $($r.Errors)$($r.Output)" }
    $r.Output
}

function Get-StartTicks([int] $ProcessId) {
    $stat = [IO.File]::ReadAllText("/proc/$ProcessId/stat")
    $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')[19]   # field 22: starttime
}

function Test-Listening([int] $X, [int] $Port) {
    $c = [Net.Sockets.TcpClient]::new()
    try { $c.ConnectAsync("127.0.$X.1", $Port).Wait(200) -and $c.Connected } catch { $false } finally { $c.Dispose() }
}

function Start-TestFleet {
    <# Starts -Count devices (raspberrypi4, raspberrypi5, jetson-nano in turn; every second one asks for a sudo password).
       Returns the fleet: Dir, Inventory (with a filled known_hosts), Devices, IdentityFile, Password, Port. #>
    param([int] $Count = 1, [long] $CardBytes = 192MB)
    New-Item -ItemType Directory -Path $script:BaseDir -Force | Out-Null
    $start = Get-Random -Maximum 200
    $fleet = $null
    for ($i = 0; $i -lt 200 -and -not $fleet; $i++) {
        $x = 40 + ($start + $i) % 200
        $owner = Join-Path $script:BaseDir "f$x.owner"
        try { $fs = [IO.FileStream]::new($owner, [IO.FileMode]::CreateNew, [IO.FileAccess]::Write) } catch [IO.IOException] { continue }
        try { $bytes = [Text.Encoding]::ASCII.GetBytes("$PID $(Get-StartTicks $PID)`n"); $fs.Write($bytes, 0, $bytes.Length) } finally { $fs.Dispose() }
        if ((Test-Listening $x 22) -or (Test-Listening $x 2222)) { continue }   # someone else's: keep the lock, move on
        $port = 2222
        try { $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Parse("127.0.$x.1"), 22); $l.Start(); $l.Stop(); $port = 22 } catch { }
        $dir = Join-Path $script:BaseDir "f$x"
        New-Item -ItemType Directory -Path $dir -Force | Out-Null
        $fleet = [pscustomobject]@{ Subnet = $x; Port = $port; Dir = $dir; Owner = $owner; Devices = @(); Inventory = Join-Path $dir 'fleet.yaml'
            KnownHosts = Join-Path $dir 'known_hosts'; IdentityFile = Join-Path $dir 'keys/id_ed25519'; Password = "pi pw'$(Get-Random)`"`$x" }
    }
    if (-not $fleet) { throw "No free 127.0.X.* subnet for a simulated fleet: look at $script:BaseDir." }
    try {
        New-Item -ItemType Directory -Path (Join-Path $fleet.Dir keys) | Out-Null
        Invoke-Native ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'edgeops-pester', '-f', $fleet.IdentityFile) | Out-Null
        $hash = (Invoke-Native openssl @('passwd', '-6', '-stdin') -Stdin ($fleet.Password + "`n")).Trim()
        $devices = for ($i = 0; $i -lt $Count; $i++) {
            $kind = $script:Kinds[$i % 3]
            $short = if ($kind -eq 'jetson-nano') { 'jetson' } else { $kind.Replace('raspberry', '') }
            [pscustomobject]@{ Name = '{0}-{1:D2}' -f $short, $i; Address = "127.0.$($fleet.Subnet).$($i + 1)"; Kind = $kind
                Sudo = if ($i % 2 -eq 1) { 'password' } else { 'nopasswd' }; Dir = Join-Path $fleet.Dir ('d{0:D2}' -f $i) }
        }
        $fleet.Devices = @($devices)
        foreach ($d in $fleet.Devices) {
            Invoke-Native /bin/bash @($script:DeviceScript, 'create', $d.Dir) -Environment @{
                DEV_NAME = $d.Name; DEV_ADDR = $d.Address; DEV_PORT = $fleet.Port; DEV_KIND = $d.Kind; DEV_SUDO = $d.Sudo
                DEV_SIZE = $CardBytes; DEV_PWHASH = $hash; DEV_AUTHKEYS = "$($fleet.IdentityFile).pub"; DEV_DATA_MB = 4 } | Out-Null
            Invoke-Native /bin/bash @($script:DeviceScript, 'start', $d.Dir) | Out-Null
        }
        $known = foreach ($d in $fleet.Devices) {
            $hostName = if ($fleet.Port -eq 22) { $d.Address } else { "[$($d.Address)]:$($fleet.Port)" }
            $f = Join-Path $d.Dir 'root/etc/ssh/ssh_host_ed25519_key.pub'
            $parts = (Get-Content $f -Raw).Trim().Split(' ')
            "$hostName $($parts[0]) $($parts[1])"
        }
        Set-Content -Path $fleet.KnownHosts -Value $known
        Write-TestInventory -Fleet $fleet -Path $fleet.Inventory | Out-Null
        $fleet
    }
    catch { Stop-TestFleet $fleet; throw }
}

function Write-TestInventory {
    <# An inventory of the fleet's devices (as README's examples/fleet.yaml, with the fleet's key and port). #>
    param($Fleet, [string] $Path, [string] $KnownHostsFile = $Fleet.KnownHosts)
    function Y([string] $s) { "'" + $s.Replace("'", "''") + "'" }
    $lines = @('defaults:', '  user: pi', "  port: $($Fleet.Port)", "  identityFile: $(Y $Fleet.IdentityFile)", "  knownHostsFile: $(Y $KnownHostsFile)", 'devices:')
    foreach ($d in $Fleet.Devices) {
        # tags as help examples use them: lab on all, the short kind (pi4, pi5, jetson), new on the first
        $short = $d.Name.Split('-')[0]
        $tags = @('sim', 'lab', $short) + @(if ($d -eq $Fleet.Devices[0]) { 'new' })
        $lines += "  - { name: $(Y $d.Name), host: $(Y $d.Address), kind: $($d.Kind), sudo: $($d.Sudo), tags: [$($tags -join ', ')] }"
    }
    Set-Content -Path $Path -Value $lines
    $Path
}

function Stop-TestFleet {
    param($Fleet)
    if (-not $Fleet) { return }
    foreach ($d in @($Fleet.Devices)) {
        try { Invoke-Native /bin/bash @($script:DeviceScript, 'destroy', $d.Dir) | Out-Null } catch { Write-Warning $_ }
    }
    Remove-Item -LiteralPath $Fleet.Dir -Recurse -Force -ErrorAction SilentlyContinue
    if (-not (Test-Path $Fleet.Dir)) { Remove-Item -LiteralPath $Fleet.Owner -Force -ErrorAction SilentlyContinue }
}

Export-ModuleMember -Function Invoke-Process, Start-TestFleet, Stop-TestFleet, Write-TestInventory, Test-FleetAvailable
