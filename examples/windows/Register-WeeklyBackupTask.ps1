<#
.SYNOPSIS
Registers a Windows scheduled task that runs examples\weekly-backup.ps1 every Sunday at 02:00.

.DESCRIPTION
Run once, elevated, in Windows PowerShell 5.1 or PowerShell 7 (uses the ScheduledTasks module). The task runs
as the given account whether or not it is logged on, with pwsh.exe (PowerShell 7) when installed, else
powershell.exe (EdgeOps supports both). The devices must allow the backup user's sudo without a password.

.EXAMPLE
.\Register-WeeklyBackupTask.ps1 -Inventory C:\edgeops\fleet.yaml -Destination \\nas\backups -User CORP\svc-edgeops
#>
param(
    [Parameter(Mandatory)] [string] $Inventory,
    [Parameter(Mandatory)] [string] $Destination,
    [Parameter(Mandatory)] [string] $User,
    [int] $Keep = 4,
    [string] $Log = 'C:\ProgramData\EdgeOps\backup.csv',
    [string] $TaskName = 'EdgeOps weekly SD-card backups'
)
$script = Join-Path $PSScriptRoot '..\weekly-backup.ps1' | Resolve-Path
$exe = (Get-Command pwsh.exe -ErrorAction SilentlyContinue).Source
if (-not $exe) { $exe = (Get-Command powershell.exe).Source }
$arguments = "-NoProfile -NonInteractive -ExecutionPolicy Bypass -File `"$script`" -Inventory `"$Inventory`" " +
             "-Destination `"$Destination`" -Keep $Keep -Log `"$Log`""
New-Item -ItemType Directory -Force -Path (Split-Path $Log) | Out-Null
$action = New-ScheduledTaskAction -Execute $exe -Argument $arguments
$trigger = New-ScheduledTaskTrigger -Weekly -DaysOfWeek Sunday -At 2am
$settings = New-ScheduledTaskSettingsSet -StartWhenAvailable -ExecutionTimeLimit (New-TimeSpan -Hours 12) -MultipleInstances IgnoreNew
$credential = Get-Credential -UserName $User -Message "Password of $User (the task runs whether or not it is logged on)"
Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Settings $settings `
    -User $credential.UserName -Password $credential.GetNetworkCredential().Password -RunLevel Limited -Force
