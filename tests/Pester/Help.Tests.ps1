# Every cmdlet's help, as `Get-Help -Full` shows it in pwsh: a synopsis, a description, at least two examples,
# every parameter described and no parameter described that does not exist (dbatools' help tests, for EdgeOps).
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../../out/module/EdgeOps/EdgeOps.psd1') -Force
    $cmdlets = @((Get-Module EdgeOps).ExportedCmdlets.Keys | Sort-Object | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/module/EdgeOps/EdgeOps.psd1') -Force
    # WhatIf and Confirm are documented like any other parameter
    $common = [Management.Automation.Cmdlet]::CommonParameters
}

Describe 'Help of <Name>' -ForEach $cmdlets {
    BeforeAll {
        $help = Get-Help $Name -Full
        $command = Get-Command $Name
    }

    It 'has a synopsis of its own (not the generated syntax line)' {
        $help.Synopsis.Trim() | Should -Not -BeNullOrEmpty
        $help.Synopsis.Trim() | Should -Not -BeLike "$Name *"
    }

    It 'has a description' {
        (($help.description | ForEach-Object Text) -join ' ').Length | Should -BeGreaterThan 40
    }

    It 'has at least two examples, each with a title that says what it does and code that uses the cmdlet' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($e in $examples) {
            ($e.title -replace '-{3,}|Example \d+:?', '').Trim() | Should -Not -BeNullOrEmpty -Because 'an example title says what it shows'
            $e.code | Should -Match ([regex]::Escape($Name)) -Because "$($e.title.Trim(' -')) should use $Name"
        }
    }

    It 'describes every parameter, and no parameter that does not exist' {
        $documented = @($help.parameters.parameter | Where-Object { (($_.description | ForEach-Object Text) -join '').Trim() } | ForEach-Object name)
        $actual = @($command.Parameters.Keys | Where-Object { $_ -notin $common })
        @($actual | Where-Object { $_ -notin $documented }) | Should -BeNullOrEmpty -Because 'every parameter needs a description'
        @($documented | Where-Object { $_ -notin $actual }) | Should -BeNullOrEmpty -Because 'help must not describe parameters that do not exist'
    }

    It 'declares its output type' {
        $command.OutputType.Name | Should -Not -BeNullOrEmpty
    }
}

Describe 'about_EdgeOps' {
    It 'is shipped and names the cmdlets' {
        $text = Get-Help about_EdgeOps | Out-String
        $text | Should -Match 'Get-EdgeDevice'
    }
}
