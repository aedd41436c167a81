package AI::MXCore;
# AI::MXCore — Perl binding for the mxcore C ABI over FFI::Platypus (no XS).
# This file: library loading + ABI check, the `mx` entry object, error
# mapping, invoke, autograd, random, io. AI::MXCore::NDArray is the tensor
# type; AI::MXCore::Ops (generated from the registry manifest) adds one
# method per public op to the `mx->nd` namespace object; AI::MXCore::Symbol
# runs MXNet model files (symbol JSON) on the core's graph executor.
use strict;
use warnings;
use Carp qw(croak);
use Exporter 'import';
use FFI::Platypus 2.00;
use FFI::Platypus::Buffer qw(scalar_to_buffer);
use FFI::CheckLib qw(find_lib);

our $VERSION = '0.01';
our @EXPORT_OK = qw(mx);
use constant ABI_VERSION => 1;
# croak reports the user's line, not ours
$Carp::Internal{$_}++ for qw(AI::MXCore AI::MXCore::Base AI::MXCore::ND AI::MXCore::NDArray
                            AI::MXCore::Autograd AI::MXCore::Random AI::MXCore::Symbol
                            AI::MXCore::SymbolNS AI::MXCore::Model);

{
    package AI::MXCore::Device;
    use FFI::Platypus::Record;
    record_layout_1(sint32 => 'type', sint32 => 'id');
}

our $ffi = FFI::Platypus->new(api => 2);
{
    my $prefix = $ENV{MXCORE_PREFIX};
    my @lib = $ENV{MXCORE_LIB} ? ($ENV{MXCORE_LIB})
            : $prefix ? ("$prefix/lib/libmxcore.so")
            : find_lib(lib => 'mxcore');
    croak "AI::MXCore: libmxcore not found (set MXCORE_PREFIX or MXCORE_LIB)" unless @lib && -e $lib[0];
    $ffi->lib(@lib);
}
$ffi->type('record(AI::MXCore::Device)' => 'mx_device');
$ffi->type('opaque' => 'mx_tensor');

my %sig = (
    mx_abi_version => [[] => 'int'],
    mx_last_error => [[] => 'string'],
    mx_version_string => [[] => 'string'],
    mx_random_seed => [['uint64'] => 'int'],
    mx_registry_json => [['opaque*'] => 'int'],
    mx_tensor_create => [['sint64[]', 'int', 'int', 'mx_device', 'opaque*'] => 'int'],
    mx_tensor_release => [['opaque'] => 'int'],
    mx_tensor_shape => [['opaque', 'int*', 'opaque*'] => 'int'],
    mx_tensor_dtype => [['opaque', 'int*'] => 'int'],
    mx_tensor_device => [['opaque', 'opaque'] => 'int'],
    mx_tensor_size => [['opaque', 'sint64*'] => 'int'],
    mx_tensor_copy_from_host => [['opaque', 'opaque', 'size_t'] => 'int'],
    mx_tensor_copy_to_host => [['opaque', 'opaque', 'size_t'] => 'int'],
    mx_tensor_assign => [['opaque', 'opaque'] => 'int'],
    mx_tensor_grad => [['opaque', 'opaque*'] => 'int'],
    mx_invoke_by_name => [['string', 'opaque[]', 'int', 'string[]', 'string[]', 'int', 'opaque[64]', 'int', 'int*'] => 'int'],
    mx_autograd_set_recording => [['int', 'int*'] => 'int'],
    mx_autograd_set_training => [['int', 'int*'] => 'int'],
    mx_autograd_mark_variables => [['opaque[]', 'int[]', 'opaque', 'int'] => 'int'],
    mx_autograd_backward => [['opaque[]', 'opaque', 'int', 'int', 'int'] => 'int'],
    mx_save => [['string', 'opaque[]', 'string[]', 'int'] => 'int'],
    mx_load => [['string', 'opaque*', 'int*'] => 'int'],
    mx_load_get => [['opaque', 'int', 'opaque*', 'string*'] => 'int'],
    mx_load_release => [['opaque'] => 'int'],
    mx_graph_from_json => [['string', 'opaque*'] => 'int'],
    mx_graph_to_json => [['opaque', 'opaque*'] => 'int'],
    mx_graph_release => [['opaque'] => 'int'],
    mx_graph_list => [['opaque', 'int', 'int*', 'opaque*'] => 'int'],
    mx_graph_run => [['opaque', 'opaque[]', 'int', 'opaque[]', 'int', 'int', 'opaque[64]', 'int', 'int*'] => 'int'],
);
# Functions are bound on first use, so a core without io (mx_save/mx_load)
# still loads; calling one then croaks with a clear message.
my %fn;
sub _c {
    my $name = shift;
    my $f = $fn{$name} //= eval { $ffi->function($name => @{ $sig{$name} }) }
        or croak "AI::MXCore: $name is not available in this libmxcore build";
    return $f->call(@_);
}
sub _check { croak _c('mx_last_error') if $_[0] != 0; return }

if ((my $v = _c('mx_abi_version')) != ABI_VERSION) {
    croak "AI::MXCore: libmxcore ABI version $v does not match the version ${\ABI_VERSION} this binding was built for";
}

require AI::MXCore::NDArray;
require AI::MXCore::Ops;
require AI::MXCore::Symbol;

my $mx = bless {}, 'AI::MXCore::Base';
sub mx { $mx }

package AI::MXCore::Base;
sub nd { bless {}, 'AI::MXCore::ND' }
sub autograd { bless {}, 'AI::MXCore::Autograd' }
sub random { bless {}, 'AI::MXCore::Random' }
sub sym { bless {}, 'AI::MXCore::SymbolNS' }
sub model { bless {}, 'AI::MXCore::Model' }
sub version { AI::MXCore::_c('mx_version_string') }
sub registry_json {
    my $p; AI::MXCore::_check(AI::MXCore::_c('mx_registry_json', \$p));
    return $AI::MXCore::ffi->cast('opaque' => 'string', $p);
}

package AI::MXCore::Random;
sub seed { my (undef, $s) = @_; AI::MXCore::_check(AI::MXCore::_c('mx_random_seed', $s)); return }

package AI::MXCore::ND;
use Carp qw(croak);
sub array { my (undef, $data, %o) = @_; AI::MXCore::NDArray->new($data, %o) }

# Attribute value -> MXNet's string form (by manifest type); undef: not passed.
sub _fmt {
    my ($v, $type) = @_;
    return undef unless defined $v;
    my $num = sub { my $x = shift; $x == 9**9**9 ? 'inf' : $x == -9**9**9 ? '-inf' : "$x" };
    return ($v && $v ne 'False' && $v ne 'false') ? 'True' : 'False' if $type eq 'bool';
    return '(' . join(',', map { $num->($_) } @$v) . ')' if ref $v eq 'ARRAY';
    return $num->($v) if $type eq 'float' || $type eq 'int';
    return "$v";
}

# Run registry op $name on NDArray inputs (undef dropped) with attrs
# [[key, value-string], ...]; returns one NDArray or a list of them. $out
# (MXNet's out=): an NDArray or array ref of them the op writes into; then
# those are returned.
sub invoke {
    my (undef, $name, $inputs, $attrs, $out) = @_;
    my @in = map { ref $_ eq 'AI::MXCore::NDArray' ? $_ : AI::MXCore::NDArray->new($_) } grep { defined } @$inputs;
    my @kv = grep { defined $_->[1] } @{ $attrs // [] };
    my @dst = !defined $out ? () : ref $out eq 'ARRAY' ? @$out : ($out);
    croak "$name: out must be AI::MXCore::NDArray" if grep { !(ref $_ && $_->isa('AI::MXCore::NDArray')) } @dst;
    croak "$name: at most 64 outputs" if @dst > 64;
    my @outs = ((map { $_->handle } @dst), (undef) x (64 - @dst));
    my $n = scalar @dst;
    AI::MXCore::_check(AI::MXCore::_c('mx_invoke_by_name', $name, [map { $_->handle } @in], scalar @in,
        [map { $_->[0] } @kv], [map { $_->[1] } @kv], scalar @kv, \@outs, 64, \$n));
    my @r = @dst ? @dst : map { AI::MXCore::NDArray->_wrap($outs[$_]) } 0 .. $n - 1;
    return wantarray ? @r : $r[0];
}

# Split generated-op arguments: leading NDArray/array-ref positionals are
# inputs (in manifest order), then key => value pairs (inputs by name too,
# and out => NDArray). Returns (inputs, attrs, out).
sub _args {
    my ($op, $inputs, $variadic, $attrs, @a) = @_;
    my (@pos, %kw);
    push @pos, shift @a while @a && (ref $a[0] || !defined $a[0]);
    croak "$op: odd number of named arguments" if @a % 2;
    %kw = @a;
    my $out = delete $kw{out};
    my @in = $variadic ? @pos : map { exists $kw{$_} ? delete $kw{$_} : shift @pos } @$inputs;
    croak "$op: too many positional inputs" if @pos && !$variadic;
    my @at;
    for my $spec (@$attrs) {
        my ($name, $type, $default, $required) = @$spec;
        my $v = exists $kw{$name} ? delete $kw{$name} : $default;
        croak "$op: required attribute '$name' missing" if $required && !defined $v;
        push @at, [$name, _fmt($v, $type)];
    }
    croak "$op: unknown argument(s): " . join(', ', sort keys %kw) if %kw;
    return (\@in, \@at, $out);
}

sub save {
    my (undef, $path, $what) = @_;
    my (@t, $names);
    if (ref $what eq 'HASH') { my @k = sort keys %$what; @t = @{$what}{@k}; $names = \@k }
    else { @t = @$what }
    AI::MXCore::_check(AI::MXCore::_c('mx_save', $path, [map { $_->handle } @t], $names, scalar @t));
    return;
}

# Returns a hash ref name => NDArray (named file) or an array ref (list file).
sub load {
    my (undef, $path) = @_;
    my ($r, $n);
    AI::MXCore::_check(AI::MXCore::_c('mx_load', $path, \$r, \$n));
    my (@names, @arr);
    for my $i (0 .. $n - 1) {
        my ($t, $name);
        my $rc = AI::MXCore::_c('mx_load_get', $r, $i, \$t, \$name);
        if ($rc) { AI::MXCore::_c('mx_load_release', $r); AI::MXCore::_check($rc) }
        push @arr, AI::MXCore::NDArray->_wrap($t);
        push @names, $name;
    }
    AI::MXCore::_c('mx_load_release', $r);
    return [@arr] unless grep { length } @names;
    return { map { $names[$_] => $arr[$_] } 0 .. $#arr };
}

package AI::MXCore::Autograd;
my %REQ = (null => 0, write => 1, add => 3);
sub record {
    my (undef, $code, %o) = @_;
    my ($pt, $pr);
    AI::MXCore::_check(AI::MXCore::_c('mx_autograd_set_training', $o{train_mode} // 1, \$pt));
    AI::MXCore::_check(AI::MXCore::_c('mx_autograd_set_recording', 1, \$pr));
    my @r = eval { $code->() };
    my $err = $@;
    AI::MXCore::_c('mx_autograd_set_recording', $pr, undef);
    AI::MXCore::_c('mx_autograd_set_training', $pt, undef);
    die $err if $err;
    return wantarray ? @r : $r[0];
}
sub mark_variables {
    my (undef, $vars, $req) = @_;
    $vars = [$vars] unless ref $vars eq 'ARRAY';
    my $r = $REQ{$req // 'write'} // Carp::croak("unknown grad_req '$req'");
    AI::MXCore::_check(AI::MXCore::_c('mx_autograd_mark_variables', [map { $_->handle } @$vars],
        [($r) x @$vars], undef, scalar @$vars));
    return;
}
sub backward {
    my (undef, $heads, %o) = @_;
    $heads = [$heads] unless ref $heads eq 'ARRAY';
    AI::MXCore::_check(AI::MXCore::_c('mx_autograd_backward', [map { $_->handle } @$heads], undef,
        scalar @$heads, $o{retain_graph} ? 1 : 0, 0));
    return;
}

1;
__END__

=head1 NAME

AI::MXCore - Perl binding for the mxcore deep-learning core (MXNet 1.x style)

=head1 SYNOPSIS

  use AI::MXCore qw(mx);
  my $a = mx->nd->array([[1, 2, 3], [4, 5, 6]]);          # float32, shape (2,3)
  my $b = mx->nd->elemwise_add($a, $a);
  print $b;                                              # <NDArray 2x3 float32 @cpu(0)> ...
  my $rows = $b->aslist;  my $p = $b->aspdl;
  mx->autograd->mark_variables($a);
  my $y = mx->autograd->record(sub { mx->nd->elemwise_mul($a, $a) });
  mx->autograd->backward($y);
  print $a->grad;                                         # 2 * a
  mx->nd->save('w.params', { w => $a });  my $h = mx->nd->load('w.params');
  mx->nd->sgd_update($a, $a->grad, lr => 0.1, out => $a);  # out => writes in place
  mx->random->seed(42);

  # a model MXNet exported (prefix-symbol.json + prefix-0000.params)
  my ($sym, $arg, $aux) = mx->model->load_checkpoint('resnet', 0);
  my ($y) = @{ $sym->run({ %$arg, data => $x }, $aux) };

=head1 DESCRIPTION

Every public op of the core's registry is a method of C<< mx->nd >>
(generated into L<AI::MXCore::Ops> at build time from the registry manifest):
inputs are leading positional NDArrays (or array refs / piddles), attributes
are named arguments with the manifest's defaults. Errors from the core are
raised with C<croak> carrying the core's message. Tensors are
L<AI::MXCore::NDArray> objects released by C<DESTROY> or early by C<dispose>.
The library is C<$MXCORE_LIB>, C<$MXCORE_PREFIX/lib/libmxcore.so> or found on
the system path; loading refuses a library with a different ABI version.

=cut
