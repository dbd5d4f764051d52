#Requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests and packages EdgeOps into out/EdgeOps/<version>/ (for pwsh users); -Package also writes
    out/EdgeOps.<version>.nupkg, the module as the PowerShell Gallery serves it (Install-PSResource installs it).
    Runs in the repo's own pwsh: `dotnet tool restore`, then `dotnet pwsh ./build.ps1`.
.EXAMPLE
    dotnet pwsh ./build.ps1                 # build, test, lay out the module folder
.EXAMPLE
    dotnet pwsh ./build.ps1 -Package -SkipTests     # build and package (out/EdgeOps.<version>.nupkg)
.EXAMPLE
    dotnet pwsh ./build.ps1 -Install        # also copy the module folder into your user module path
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release',
    [switch] $SkipTests,
    [switch] $Package,
    [switch] $Install
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

dotnet build EdgeOps.sln -c $Configuration -nologo
if ($LASTEXITCODE) { throw "dotnet build failed ($LASTEXITCODE)" }

if (-not $SkipTests) {
    ./test.sh   # builds Release and runs the whole suite
    if ($LASTEXITCODE) { throw "tests failed ($LASTEXITCODE)" }
}

# `dotnet build` already laid out an importable module in out/module/EdgeOps; version it.
$manifest = Import-PowerShellDataFile ./EdgeOps.psd1
$version = $manifest.ModuleVersion
$target = Join-Path $PSScriptRoot "out/EdgeOps/$version"
if (Test-Path $target) { Remove-Item $target -Recurse -Force }
New-Item -ItemType Directory -Path $target -Force | Out-Null
Copy-Item -Path ./out/module/EdgeOps/* -Destination $target -Recurse
# The benchmark runner, self-contained per device platform, so a packaged module needs no .NET SDK to benchmark devices.
foreach ($rid in 'linux-x64', 'linux-arm64') {
    dotnet publish src/EdgeOps.Runner/EdgeOps.Runner.csproj -c Release -r $rid -o (Join-Path $target "runners/$rid") -nologo
    if ($LASTEXITCODE) { throw "publishing the $rid benchmark runner failed ($LASTEXITCODE)" }
    # Only what runs on a $rid device: the program and its Linux libraries (no Windows DLLs of ONNX Runtime's package).
    $stray = Get-ChildItem (Join-Path $target "runners/$rid") -File | Where-Object { $_.Name -ne 'edgeops-runner' -and $_.Extension -ne '.so' }
    if ($stray) { throw "the $rid runner folder holds files that do not run on the device: $($stray.Name -join ', ')" }
}
if (Get-ChildItem $target -Recurse -Filter System.Management.Automation.dll) { throw 'System.Management.Automation.dll must not ship' }
Test-ModuleManifest (Join-Path $target EdgeOps.psd1) | Out-Null
Write-Host "Laid out EdgeOps $version in $target"

if ($Package) {
    # The gallery's layout (the module folder at the package root, with the nuspec PSResourceGet makes from the manifest).
    $nupkg = Join-Path $PSScriptRoot "out/EdgeOps.$version.nupkg"
    if (Test-Path $nupkg) { Remove-Item $nupkg -Force }
    $staging = Join-Path $PSScriptRoot "out/package/EdgeOps"   # Compress-PSResource names the package after the folder
    if (Test-Path $staging) { Remove-Item $staging -Recurse -Force }
    New-Item -ItemType Directory -Path $staging -Force | Out-Null
    Copy-Item -Path "$target/*" -Destination $staging -Recurse
    Compress-PSResource -Path $staging -DestinationPath (Join-Path $PSScriptRoot out)
    Remove-Item (Split-Path $staging) -Recurse -Force
    if (-not (Test-Path $nupkg)) { throw "Compress-PSResource did not write $nupkg" }
    Write-Host "Packaged EdgeOps $version as $nupkg"
}

if ($Install) {
    $userModules = ($env:PSModulePath -split [IO.Path]::PathSeparator)[0]
    $dest = Join-Path $userModules "EdgeOps/$version"
    New-Item -ItemType Directory -Path $dest -Force | Out-Null
    Copy-Item -Path "$target/*" -Destination $dest -Recurse -Force
    Write-Host "Installed to $dest"
}
