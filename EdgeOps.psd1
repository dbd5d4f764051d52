@{
    RootModule           = 'EdgeOps.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6a0f3d8e-4b1c-4f7e-9a52-2d7c1e5b9f31'
    Author               = 'EdgeOps contributors'
    CompanyName          = 'EdgeOps'
    Copyright            = '(c) EdgeOps contributors. MIT License.'
    Description          = 'Provision and operate fleets of single-board computers (Raspberry Pi 4/5, Jetson Nano) that run machine-learning inference at the edge: inventory, swap, PyTorch wheels, SD-card backups, ONNX benchmarks and testbed leases, as typed objects.'
    CompatiblePSEditions = @('Desktop', 'Core')
    PowerShellVersion    = '5.1'
    FormatsToProcess     = @(
        'EdgeOps.Format.ps1xml'
        'formats/Swap.Format.ps1xml'
        'formats/Wheels.Format.ps1xml'
        'formats/Backup.Format.ps1xml'
        'formats/Benchmark.Format.ps1xml'
        'formats/Leases.Format.ps1xml'
    )
    CmdletsToExport      = @(
        'Get-EdgeDevice'
        'Test-EdgeDevice'
        'Invoke-EdgeCommand'
        'New-SwapFile'
        'Get-SwapFile'
        'Remove-SwapFile'
        'Get-EdgeBuildPlan'
        'Install-TorchWheel'
        'Publish-TorchWheel'
        'Backup-SdCard'
        'Restore-SdCard'
        'Test-SdCardBackup'
        'Get-SdCardBackup'
        'Invoke-EdgeBenchmark'
        'Export-EdgeBenchmarkReport'
        'Get-LeaseWindow'
        'New-EdgeLease'
        'Start-WheelBuild'
        'Get-WheelBuild'
        'Wait-WheelBuild'
        'Receive-WheelBuild'
        'Stop-WheelBuild'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('RaspberryPi', 'Jetson', 'EdgeAI', 'Fleet', 'SSH', 'ONNX', 'Swap', 'Backup', 'Linux', 'PSEdition_Core', 'PSEdition_Desktop')
            ProjectUri = 'https://github.com/edgeops/EdgeOps'
            LicenseUri = 'https://github.com/edgeops/EdgeOps/blob/main/LICENSE'
        }
    }
}
