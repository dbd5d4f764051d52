# Tab completion as a user meets it in a NEW session (no Get-EdgeDevice run yet), through the real TabExpansion2.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../../out/module/EdgeOps/EdgeOps.psd1') -Force
    $dir = Join-Path ([IO.Path]::GetTempPath()) "edgeops-completion-$(New-Guid)"
    New-Item -ItemType Directory -Path $dir | Out-Null
    $inventory = Join-Path $dir "lab fleet.yaml"
    Set-Content -Path $inventory -Value @(
        'devices:'
        "  - { name: lab-pi5-01, host: 10.9.0.1, kind: raspberrypi5 }"
        "  - { name: lab-pi5-02, host: 10.9.0.2, kind: raspberrypi5 }"
        "  - { name: 'lab jetson ''one''', host: 10.9.0.3, kind: jetson-nano }"
        "  - { name: other-pi4, host: 10.9.0.4, kind: raspberrypi4 }"
    )
    function Complete([string] $line) {
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
    }
    function Q([string] $s) { "'" + $s.Replace("'", "''") + "'" }
}

AfterAll {
    $PSDefaultParameterValues.Remove('Get-EdgeDevice:Inventory')
    Remove-Item -LiteralPath $dir -Recurse -Force
}

Describe 'Device names' {
    It 'come from the inventory named with -Inventory, before any device was seen' {
        $m = Complete "Get-EdgeDevice -Inventory $(Q $inventory) -Name lab-"
        $m.CompletionText | Should -Be @('lab-pi5-01', 'lab-pi5-02')
    }

    It 'are quoted when the name needs it, and match with wildcards' {
        $m = Complete "Get-EdgeDevice -Inventory $(Q $inventory) -Name *jet"
        $m.CompletionText | Should -Be @("'lab jetson ''one'''")
        $m.ListItemText | Should -Be @("lab jetson 'one'")
    }

    It 'come from a Get-EdgeDevice earlier in the pipeline, for -ComputerName of a device cmdlet' {
        $m = Complete "Get-EdgeDevice -Inventory $(Q $inventory) | Test-EdgeDevice -ComputerName other"
        $m.CompletionText | Should -Be @('other-pi4')
    }

    It 'come from $PSDefaultParameterValues, with a path relative to the current folder' {
        Push-Location $dir
        try {
            $PSDefaultParameterValues['Get-EdgeDevice:Inventory'] = './lab fleet.yaml'
            (Complete 'Invoke-EdgeCommand -ComputerName lab-pi5-0').CompletionText | Should -Be @('lab-pi5-01', 'lab-pi5-02')
            (Complete 'Get-EdgeDevice -Name oth').CompletionText | Should -Be @('other-pi4')
        }
        finally { $PSDefaultParameterValues.Remove('Get-EdgeDevice:Inventory'); Pop-Location }
    }

    It 'give nothing, and no error, for an inventory that does not exist or is not YAML' {
        $bad = Join-Path $dir 'bad.yaml'
        Set-Content -Path $bad -Value "devices: [ { name: x"
        (Complete "Get-EdgeDevice -Inventory $(Q $bad) -Name x") | Should -BeNullOrEmpty
        (Complete "Get-EdgeDevice -Inventory ./nope.yaml -Name x") | Should -BeNullOrEmpty
    }
}

Describe 'Kinds and time zones' {
    It '-Kind completes the known device kinds' {
        (Complete 'Test-EdgeDevice -Kind rasp').CompletionText | Should -Be @('raspberrypi-zero2', 'raspberrypi3', 'raspberrypi4', 'raspberrypi5')
        (Complete 'Get-SwapFile -Kind ').CompletionText | Should -Be @('generic', 'jetson-nano', 'jetson-orin', 'jetson-xavier', 'raspberrypi-zero2', 'raspberrypi3', 'raspberrypi4', 'raspberrypi5')
    }

    It '-TimeZone completes IANA names' {
        (Complete 'Get-LeaseWindow -TimeZone America/Chic').CompletionText | Should -Be @('America/Chicago')
        (Complete 'Get-LeaseWindow -TimeZone Europe/Be').CompletionText | Should -Contain 'Europe/Berlin'
    }

    It '-TimeZone completes Windows names, quoted' {
        (Complete 'Get-LeaseWindow -TimeZone Central*Europe').CompletionText | Should -Contain "'Central Europe Standard Time'"
        (Complete 'Get-LeaseWindow -TimeZone UT').CompletionText | Should -Contain 'UTC'
    }

    It 'completes a Windows id typed after an opening quote' {
        $zones = (Complete 'Get-LeaseWindow -TimeZone "W. Eu').CompletionText
        $zones | Should -Contain "'W. Europe Standard Time'"
    }
}
