#!/usr/bin/perl
# Backup-SdCard: reads ranges of a card (see DeviceScripts.Reader). Arguments: device, mode (raw|zstd), level, threads,
# hash (sha256|none). With sha256 each range's sha256 is computed here, over the very bytes handed to zstd (whose frames
# carry their content checksum, which the controller's decoder checks), and written to stderr as
# "sha256 OFFSET LENGTH HEX" when the range is done: the card's CPU is idle while the card is read, the controller's is not.
# Reads go around the page cache (O_DIRECT) where the range is sector-aligned, so the kernel's read-ahead never reads the
# unused blocks after a range (on a card that reads at 40 MiB/s, read-ahead past each range costs seconds); 4 MiB at a
# time into an aligned buffer. Unaligned pieces, or a file that refuses O_DIRECT, are read through the page cache.
use strict;
use Fcntl qw(O_RDONLY);
my ($dev, $mode, $level, $threads, $hash) = @ARGV;
my $sha = ($hash // 'none') eq 'sha256';
if ($sha) { require Digest::SHA; }
open(my $in, '<', $dev) or die "cannot open $dev: $!\n";
binmode $in; binmode STDOUT;
my $odirect = eval { Fcntl::O_DIRECT() };
my $din;
if (defined $odirect) { sysopen($din, $dev, O_RDONLY | $odirect) or undef $din; }
my (@chunks, $cur, $ended);
while (my $l = <STDIN>) {
  chomp $l;
  if ($l eq 'e') { $ended = 1; last; }
  if ($l eq 'c') { $cur = []; push @chunks, $cur; next; }
  my (undef, $o, $n) = split / /, $l;
  die "bad plan line '$l'\n" unless defined $cur && defined $n && $o =~ /^\d+$/ && $n =~ /^\d+$/;
  push @$cur, [$o, $n];
}
# a plan cut short would otherwise stream fewer chunks and end well
die "the plan ended before its end mark: its input was cut\n" unless $ended;
my $B = 4194304;
my $zero = "\0" x 1048576;
my $buf = "\0" x ($B + 8192);
# the buffer's address (pack 'p'), to read at a 4096-aligned place inside it
my $al = (4096 - unpack('J', pack('p', $buf)) % 4096) % 4096;
sub put { my ($fh, $off, $len) = @_; my $done = 0;
  while ($done < $len) { my $w = syswrite($fh, $buf, $len - $done, $off + $done); die "write failed: $!\n" unless defined $w; $done += $w; } }
sub zeros { my ($fh, $n) = @_;
  while ($n > 0) { my $k = $n > 1048576 ? 1048576 : $n; my $d = 0;
    while ($d < $k) { my $w = syswrite($fh, $zero, $k - $d, $d); die "write failed: $!\n" unless defined $w; $d += $w; } $n -= $k; } }
# Reads one range of the card, handing each piece (at $al in $buf) to $sink.
sub read_range { my ($o, $n, $sink) = @_;
  my $left = $n;
  while ($left > 0) {
    my $at = $o + $n - $left;
    my $k = $left > $B ? $B : $left;
    my $got;
    if ($din && $at % 512 == 0 && $k % 512 == 0) {
      sysseek($din, $at, 0) or die "cannot seek to $at: $!\n";
      $got = sysread($din, $buf, $k, $al);
      if (!defined $got) { undef $din; next; }   # O_DIRECT refused (alignment, filesystem): the page cache from here on
    } else {
      sysseek($in, $at, 0) or die "cannot seek to $at: $!\n";
      $got = sysread($in, $buf, $k, $al);
      die "read error at byte $at: $!\n" unless defined $got;
    }
    die "the disk ended at byte $at\n" if $got == 0;
    $sink->($got); $left -= $got;
  }
}
# With hashing, a child process reads the card into a pipe while this one hashes and compresses what came before, so
# the card never waits for the hash (a board without SHA instructions hashes at a few times the card's speed).
my ($rd, $reader);
if ($sha) {
  pipe($rd, my $wr) or die "cannot make a pipe: $!\n";
  $reader = fork() // die "cannot fork: $!\n";
  if (!$reader) {
    close $rd; close STDOUT;
    fcntl($wr, 1031, 1048576);   # F_SETPIPE_SZ (best effort)
    for my $c (@chunks) { for my $r (@$c) { read_range($r->[0], $r->[1], sub { put($wr, $al, $_[0]) }); } }
    close $wr or die "write failed: $!\n";
    exit 0;
  }
  close $wr;
}
for my $c (@chunks) {
  my $out = \*STDOUT; my $z;
  if ($mode eq 'zstd') {
    open($z, '|-', 'zstd', '-q', '-c', '--check', "-$level", "-T$threads") or die "cannot start zstd: $!\n";
    binmode $z; $out = $z;
    fcntl($z, 1031, 1048576);   # F_SETPIPE_SZ: room for a whole read while zstd works (best effort)
  }
  my $pos = $c->[0][0];
  for my $r (@$c) {
    my ($o, $n) = @$r;
    zeros($out, $o - $pos) if $o > $pos;
    if ($sha) {
      my $d = Digest::SHA->new(256);
      my $left = $n;
      while ($left > 0) {
        my $got = sysread($rd, $buf, $left > $B ? $B : $left, $al);
        die "cannot read from the card's reader: $!\n" unless defined $got;
        if ($got == 0) { waitpid($reader, 0); die "the card's reader stopped at byte " . ($o + $n - $left) . "\n"; }
        $d->add(substr($buf, $al, $got));
        put($out, $al, $got); $left -= $got;
      }
      print STDERR "sha256 $o $n ", $d->hexdigest, "\n";
    } else {
      read_range($o, $n, sub { put($out, $al, $_[0]) });
    }
    $pos = $o + $n;
  }
  if ($z) { close($z) or die "zstd failed\n"; }
}
if ($reader) { waitpid($reader, 0); die "the card's reader failed\n" if $?; }
