#!/usr/bin/perl
# Backup-SdCard: reads ranges of a card (see DeviceScripts.Reader). Arguments: device, mode (raw|zstd), level, threads.
use strict;
my ($dev, $mode, $level, $threads) = @ARGV;
open(my $in, '<', $dev) or die "cannot open $dev: $!\n";
binmode $in; binmode STDOUT;
my (@chunks, $cur);
while (my $l = <STDIN>) {
  chomp $l;
  last if $l eq 'e';
  if ($l eq 'c') { $cur = []; push @chunks, $cur; next; }
  my (undef, $o, $n) = split / /, $l;
  push @$cur, [$o, $n];
}
my $zero = "\0" x 1048576;
sub put { my ($fh, $d) = @_; my $len = length $d; my $off = 0;
  while ($off < $len) { my $w = syswrite($fh, $d, $len - $off, $off); die "write failed: $!\n" unless defined $w; $off += $w; } }
for my $c (@chunks) {
  my $out = \*STDOUT; my $z;
  if ($mode eq 'zstd') {
    open($z, '|-', 'zstd', '-q', '-c', "-$level", "-T$threads") or die "cannot start zstd: $!\n";
    binmode $z; $out = $z;
  }
  my $pos = $c->[0][0];
  for my $r (@$c) {
    my ($o, $n) = @$r;
    my $gap = $o - $pos;
    while ($gap > 0) { my $k = $gap > 1048576 ? 1048576 : $gap; put($out, substr($zero, 0, $k)); $gap -= $k; }
    sysseek($in, $o, 0) or die "cannot seek to $o: $!\n";
    my $left = $n;
    while ($left > 0) {
      my $k = $left > 1048576 ? 1048576 : $left; my $buf;
      my $got = sysread($in, $buf, $k);
      die "read error at byte " . ($o + $n - $left) . ": $!\n" unless defined $got;
      die "the disk ended at byte " . ($o + $n - $left) . "\n" if $got == 0;
      put($out, $buf); $left -= $got;
    }
    $pos = $o + $n;
  }
  if ($z) { close($z) or die "zstd failed\n"; }
}
