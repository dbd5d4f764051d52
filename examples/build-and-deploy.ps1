<#
.SYNOPSIS
Build a wheel once on a big build host, publish it, deploy it to every board.

.DESCRIPTION
The whole loop: Start-WheelBuild on the build host (a cloud ARM instance in the inventory, or a board), Wait-WheelBuild
with progress, Receive-WheelBuild into shared storage with -Publish, then Install-TorchWheel -Package on the boards.
The build runs detached on the build host: if this script is interrupted, run it again with -Id to wait for the same build.

.EXAMPLE
./edgeops -File examples/build-and-deploy.ps1 -Inventory ./fleet.yaml -Builder builder -Source ./proj -Package proj -Destination s3://team-wheels/proj
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [string] $Inventory = [IO.Path]::Combine($PSScriptRoot, 'fleet.yaml'),
    [string] $Builder = 'builder',
    [Parameter(Mandatory)] [string] $Source,
    [Parameter(Mandatory)] [string] $Package,
    [Parameter(Mandatory)] [string] $Destination,
    [ValidateSet('generic', 'pytorch', 'opencv')] [string] $Recipe = 'generic',
    [string] $Tag = 'pi',
    [string] $VirtualEnv = '~/venv',
    [string] $Id
)
if (-not (Get-Module EdgeOps)) { Import-Module EdgeOps -ErrorAction Stop }

$builderHost = Get-EdgeDevice -Inventory $Inventory -Name $Builder
# 1. Start (or find again) the build; it goes on over there whatever happens here.
$build = if ($Id) { $builderHost | Get-WheelBuild -Id $Id } else { $builderHost | Start-WheelBuild -Source $Source -Recipe $Recipe }
if (-not $build) { return }
# 2. Wait with progress; a dropped connection is opened again.
$done = $build | Wait-WheelBuild
if ($done.State -ne 'Succeeded') { Write-Error "Build $($done.Id) is $($done.State): $($done.Diagnosis)"; return }
# 3. Wheels back (sha256 checked) into shared storage, added to its catalog.
$done | Receive-WheelBuild -Destination $Destination -Publish
# 4. Every board that fits gets it, import-checked, rolled back if it does not import.
$catalog = $Destination.TrimEnd('/') + '/catalog.yaml'
Get-EdgeDevice -Inventory $Inventory -Tag $Tag |
    Install-TorchWheel -Catalog $catalog -Package $Package -VirtualEnv $VirtualEnv -CreateVirtualEnv
