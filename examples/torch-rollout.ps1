<#
.SYNOPSIS
Fleet set-up for native builds and PyTorch: plan build jobs, add swap where needed, deploy a prebuilt wheel.

.DESCRIPTION
Runs under pwsh (Import-Module EdgeOps) or ./edgeops (./edgeops -File examples/torch-rollout.ps1 ...).
Every change goes through ShouldProcess: add -WhatIf to see the plan per device first.

.EXAMPLE
./edgeops -File examples/torch-rollout.ps1 -Inventory ./fleet.yaml -Catalog s3://team-wheels/torch/catalog.yaml -Version '2.1.*'
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [string] $Inventory = [IO.Path]::Combine($PSScriptRoot, 'fleet.yaml'),
    [Parameter(Mandatory)] [string] $Catalog,
    [string] $Version = '*',
    [string] $VirtualEnv = '/opt/torch-venv',
    [string[]] $Tag,
    [pscredential] $SudoCredential
)
if (-not (Get-Module EdgeOps)) { Import-Module EdgeOps -ErrorAction Stop }

$devices = Get-EdgeDevice -Inventory $Inventory -Tag $Tag
$common = @{ ErrorAction = 'Continue' }
if ($SudoCredential) { $common.SudoCredential = $SudoCredential }

# 1. How many compile jobs each board can run today (for boards that still build from source).
$devices | Get-EdgeBuildPlan -Profile pytorch @common

# 2. A swapfile sized for 2 parallel jobs: the 4 GB boards get one, the 8 GB boards are left unchanged.
$devices | New-SwapFile -ForBuildJobs 2 -Profile pytorch -WhatIf:$WhatIfPreference @common

# 3. The prebuilt wheel, chosen per device (a Jetson by its L4T release), into a virtual environment.
$devices | Install-TorchWheel -Catalog $Catalog -Version $Version -VirtualEnv $VirtualEnv -CreateVirtualEnv `
    -Companion torchvision -WhatIf:$WhatIfPreference @common
