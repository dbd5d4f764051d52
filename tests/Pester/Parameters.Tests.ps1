# Parameter sets and pipeline binding, as PowerShell sees them: for every cmdlet, its sets, the default set,
# which parameters are mandatory in which set, which take pipeline input by value and which by property name.
# The real metadata (Get-Command) is compared with the table below, so any change to the binding contract
# (a parameter that stops binding from Import-Csv rows, a new mandatory parameter) fails here until the
# table, and README/help, are updated on purpose.
BeforeDiscovery {
    # the device columns: any object with these properties (Get-EdgeDevice output, Import-Csv rows, results) chains
    $Device = @('ComputerName', 'HostName', 'Transport', 'Port', 'UserName', 'IdentityFile', 'ProxyJump', 'JumpHost', 'SudoMode', 'Kind', 'KnownHostsFile', 'KexAlgorithms')
    $Expected = [ordered]@{
    'Backup-SdCard' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @('Destination'); FromPipeline = @(); ByPropertyName = $Device }
    }}
    'Export-EdgeBenchmarkReport' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @('Path', 'InputObject'); FromPipeline = @('InputObject'); ByPropertyName = @() }
    }}
    'Get-EdgeBuildPlan' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @(); FromPipeline = @(); ByPropertyName = $Device }
    }}
    'Get-EdgeDevice' = @{ Default = 'Inventory'; Sets = @{
        'Inventory' = @{ Mandatory = @(); FromPipeline = @(); ByPropertyName = @('Inventory') }
    }}
    'Get-LeaseWindow' = @{ Default = 'Within'; Sets = @{
        'Within' = @{ Mandatory = @(); FromPipeline = @('InputObject'); ByPropertyName = @() }
        'Range' = @{ Mandatory = @('To'); FromPipeline = @('InputObject'); ByPropertyName = @() }
    }}
    'Get-SdCardBackup' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @('Destination'); FromPipeline = @(); ByPropertyName = @('ComputerName') }
    }}
    'Get-SwapFile' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @(); FromPipeline = @(); ByPropertyName = $Device }
    }}
    'Get-WheelBuild' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @(); FromPipeline = @(); ByPropertyName = @('Id') + $Device }
    }}
    'Install-TorchWheel' = @{ Default = 'Catalog'; Sets = @{
        'Catalog' = @{ Mandatory = @('Catalog'); FromPipeline = @(); ByPropertyName = $Device }
        'Source' = @{ Mandatory = @('Source'); FromPipeline = @(); ByPropertyName = $Device }
    }}
    'Invoke-EdgeBenchmark' = @{ Default = 'Runs'; Sets = @{
        'Runs' = @{ Mandatory = @(); FromPipeline = @(); ByPropertyName = @('FullName') + $Device }
        'Duration' = @{ Mandatory = @('Duration'); FromPipeline = @(); ByPropertyName = @('FullName') + $Device }
    }}
    'Invoke-EdgeCommand' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @('Command'); FromPipeline = @(); ByPropertyName = $Device }
    }}
    'New-EdgeLease' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @('Name', 'StartUtc', 'EndUtc'); FromPipeline = @(); ByPropertyName = @('StartUtc', 'EndUtc', 'Device', 'DeviceUid', 'MachineName', 'DeviceCount', 'Calendar') }
    }}
    'New-SwapFile' = @{ Default = 'Size'; Sets = @{
        'Size' = @{ Mandatory = @('Size'); FromPipeline = @(); ByPropertyName = $Device }
        'BuildJobs' = @{ Mandatory = @('ForBuildJobs'); FromPipeline = @(); ByPropertyName = $Device }
    }}
    'Publish-TorchWheel' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @('Path', 'Destination'); FromPipeline = @('Path'); ByPropertyName = @('Path') }
    }}
    'Receive-WheelBuild' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @('Destination'); FromPipeline = @(); ByPropertyName = @('Id') + $Device }
    }}
    'Remove-SwapFile' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @(); FromPipeline = @(); ByPropertyName = @('Path') + $Device }
    }}
    'Restore-SdCard' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @('Path', 'DevicePath'); FromPipeline = @(); ByPropertyName = @('Path') + $Device }
    }}
    'Start-WheelBuild' = @{ Default = 'Source'; Sets = @{
        'Source' = @{ Mandatory = @('Source'); FromPipeline = @(); ByPropertyName = @('Id') + $Device }
        'Resume' = @{ Mandatory = @('Resume'); FromPipeline = @(); ByPropertyName = @('Id') + $Device }
    }}
    'Stop-WheelBuild' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @(); FromPipeline = @(); ByPropertyName = @('Id') + $Device }
    }}
    'Test-EdgeDevice' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @(); FromPipeline = @(); ByPropertyName = $Device }
    }}
    'Test-SdCardBackup' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @('Path'); FromPipeline = @('Path'); ByPropertyName = @('Path') }
    }}
    'Wait-WheelBuild' = @{ Default = $null; Sets = @{
        '__AllParameterSets' = @{ Mandatory = @(); FromPipeline = @(); ByPropertyName = @('Id') + $Device }
    }}
    }
    $cases = foreach ($name in $Expected.Keys) { @{ Name = $name; Default = $Expected[$name].Default; Sets = $Expected[$name].Sets } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/module/EdgeOps/EdgeOps.psd1') -Force
    $common = [Management.Automation.Cmdlet]::CommonParameters + [Management.Automation.Cmdlet]::OptionalCommonParameters
    function Sorted($x) { @($x | Sort-Object) -join ', ' }
}

Describe 'The binding table covers the module' {
    It 'lists every exported cmdlet, and only those' {
        $table = $Expected.Keys
        Sorted (Get-Module EdgeOps).ExportedCmdlets.Keys | Should -Be (Sorted $table)
    } -ForEach @{ Expected = $Expected }
}

Describe 'Parameter binding of <Name>' -ForEach $cases {
    BeforeAll { $command = Get-Command $Name }

    It 'has the expected parameter sets and default set' {
        Sorted $command.ParameterSets.Name | Should -Be (Sorted $Sets.Keys)
        $default = if ($command.DefaultParameterSet) { $command.DefaultParameterSet } else { $null }
        $default | Should -Be $Default
    }

    It 'makes the expected parameters mandatory, pipeline-bound by value and by property name in each set' {
        foreach ($set in $command.ParameterSets) {
            $want = $Sets[$set.Name]
            $ps = @($set.Parameters | Where-Object Name -NotIn $common)
            Sorted ($ps | Where-Object IsMandatory).Name | Should -Be (Sorted $want.Mandatory) -Because "mandatory in set $($set.Name)"
            Sorted ($ps | Where-Object ValueFromPipeline).Name | Should -Be (Sorted $want.FromPipeline) -Because "by value in set $($set.Name)"
            Sorted ($ps | Where-Object ValueFromPipelineByPropertyName).Name | Should -Be (Sorted $want.ByPropertyName) -Because "by property name in set $($set.Name)"
        }
    }
}

Describe 'Binding by property name, for real' {
    It 'a plain object with the device columns reaches the cmdlet as that device' {
        # a hostile name survives binding unchanged
        $row = [pscustomobject]@{ ComputerName = "lab 'one'; `$(x)"; Transport = 'Local' }
        $r = $row | Test-EdgeDevice
        $r.ComputerName | Should -Be "lab 'one'; `$(x)"
        $r.HostName | Should -Be '(local)' -Because 'Transport=Local bound by property name'
        $r.Reachable | Should -BeTrue
    }
}
