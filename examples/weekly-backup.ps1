<#
.SYNOPSIS
Weekly SD-card backups of the fleet: one verified image per device, old ones pruned, a CSV log line per device.

.DESCRIPTION
Run by the systemd timer in examples/systemd or the Windows scheduled task in examples/windows, under pwsh or
./edgeops -File examples/weekly-backup.ps1 ... (the repo's pwsh .NET tool). Exit code 0 when every device was backed up and
verified, 1 when any device failed (the error records name the devices).

.EXAMPLE
./edgeops -File examples/weekly-backup.ps1 -Inventory /etc/edgeops/fleet.yaml -Destination /srv/backups -Keep 4 -Log /var/log/edgeops-backup.csv

.EXAMPLE
pwsh -NoProfile -File examples/weekly-backup.ps1 -Inventory ./fleet.yaml -Destination //nas/backups -Tag lab -KeepMonthly 6
#>
param(
    [string] $Inventory = [IO.Path]::Combine($PSScriptRoot, 'fleet.yaml'),
    [Parameter(Mandatory = $true)] [string] $Destination,
    [int] $Keep = 4,
    [int] $KeepMonthly = 0,
    [string[]] $Name,
    [string[]] $Tag,
    [string[]] $StopService,
    [int] $ThrottleLimit = 4,
    [string] $Log
)

if (-not (Get-Module EdgeOps)) { Import-Module EdgeOps -ErrorAction Stop }

$select = @{ Inventory = $Inventory }
if ($Name) { $select.Name = $Name }
if ($Tag) { $select.Tag = $Tag }
$backup = @{ Destination = $Destination; Keep = $Keep; KeepMonthly = $KeepMonthly; ThrottleLimit = $ThrottleLimit }
if ($StopService) { $backup.StopService = $StopService }

$failed = $null
$started = [DateTimeOffset]::UtcNow
$results = @(Get-EdgeDevice @select | Backup-SdCard @backup -ErrorVariable failed)

if ($Log) {
    $lines = [Collections.Generic.List[string]]::new()
    if (-not [IO.File]::Exists($Log)) { $lines.Add('Started,ComputerName,Verified,ImageBytes,UsedBytes,StoredBytes,Seconds,Removed,Error') }
    $stamp = $started.ToString('o')
    foreach ($r in $results) {
        $lines.Add(('{0},"{1}",{2},{3},{4},{5},{6},"{7}",' -f $stamp, $r.ComputerName.Replace('"', '""'), $r.Verified, $r.ImageBytes, $r.UsedBytes, $r.StoredBytes, $r.Seconds, $r.Removed.Replace('"', '""')))
    }
    foreach ($e in @($failed)) {
        $device = if ($e.TargetObject -and $e.TargetObject.ComputerName) { $e.TargetObject.ComputerName } else { '' }
        $message = if ($e.ErrorDetails) { $e.ErrorDetails.Message } else { $e.Exception.Message }
        $lines.Add(('{0},"{1}",False,,,,,,"{2}"' -f $stamp, $device.Replace('"', '""'), $message.Replace('"', '""').Replace("`n", ' ')))
    }
    [IO.File]::AppendAllLines($Log, $lines)
}

$results
if (@($failed).Count -gt 0) { exit 1 }
