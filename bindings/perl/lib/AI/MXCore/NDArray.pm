package AI::MXCore::NDArray;
# The tensor type: a blessed hash holding one core reference, released by
# DESTROY (Perl's refcounting) or early by dispose(). Conversions: nested
# array refs (row-major, shape from the nesting) and PDL piddles (PDL dims are
# fastest-first, so an ndarray of shape (a,b) is a piddle with dims (b,a) —
# the same memory order, dims reversed).
use strict;
use warnings;
use Carp qw(croak);
use FFI::Platypus::Buffer qw(scalar_to_buffer);
use Scalar::Util qw(blessed looks_like_number);

use overload
    '+' => sub { _bin('broadcast_add', @_) },
    '-' => sub { _bin('broadcast_sub', @_) },
    '*' => sub { _bin('broadcast_mul', @_) },
    '/' => sub { _bin('broadcast_div', @_) },
    '**' => sub { _bin('broadcast_power', @_) },
    '==' => sub { _bin('broadcast_equal', @_) },
    '!=' => sub { _bin('broadcast_not_equal', @_) },
    '<' => sub { _bin('broadcast_lesser', @_) },
    '>' => sub { _bin('broadcast_greater', @_) },
    '<=' => sub { _bin('broadcast_lesser_equal', @_) },
    '>=' => sub { _bin('broadcast_greater_equal', @_) },
    'neg' => sub { _bin('broadcast_sub', $_[0], 0, 1) },
    '""' => sub { $_[0]->to_string },
    'bool' => sub { 1 };

our %DTYPE = (float32 => 0, float64 => 1, float16 => 2, uint8 => 3, int32 => 4, int8 => 5,
              int64 => 6, bool => 7, bfloat16 => 12);
our %DTYPE_NAME = reverse %DTYPE;
my %DEV = (1 => 'cpu', 2 => 'gpu', 3 => 'cpu_pinned', 10 => 'opencl');
my %PDL_TO = (float => 'float32', double => 'float64', byte => 'uint8', long => 'int32',
              longlong => 'int64', sbyte => 'int8', indx => 'int64');

sub _c { AI::MXCore::_c(@_) }
sub _check { AI::MXCore::_check(@_) }

sub _wrap { my ($class, $h) = @_; return bless { h => $h }, $class }

sub handle { my $s = shift; croak "AI::MXCore: NDArray was disposed" unless $s->{h}; $s->{h} }

sub dispose { my $s = shift; _c('mx_tensor_release', delete $s->{h}) if $s->{h}; return }
sub DESTROY { local ($., $@, $!, $^E, $?); $_[0]->dispose }

sub _create {
    my ($shape, $dtype) = @_;
    my $code = $DTYPE{$dtype} // croak "AI::MXCore: unknown dtype '$dtype'";
    my $h;
    _check(_c('mx_tensor_create', [@$shape], scalar @$shape, $code,
              AI::MXCore::Device->new(type => 1, id => 0), \$h));
    return __PACKAGE__->_wrap($h);
}

sub _flatten {
    my ($d, $shape, $depth, $flat) = @_;
    if (ref $d eq 'ARRAY') {
        if (@$shape <= $depth) { push @$shape, scalar @$d }
        elsif ($shape->[$depth] != @$d) { croak "AI::MXCore: ragged nested array" }
        _flatten($_, $shape, $depth + 1, $flat) for @$d;
    } else {
        croak "AI::MXCore: ragged nested array" if @$shape > $depth;
        push @$flat, $d;
    }
}

# new($data, dtype => ..., shape => [...]): $data is a nested array ref, a
# number, a PDL piddle or an NDArray (copied).
sub new {
    my ($class, $data, %o) = @_;
    my (@shape, @flat, $dtype);
    if (blessed $data && $data->isa(__PACKAGE__)) {
        @shape = @{ $data->shape }; @flat = @{ $data->_host_list }; $dtype = $data->dtype;
    } elsif (blessed $data && $data->isa('PDL')) {
        @shape = reverse $data->dims; @flat = $data->list;
        $dtype = $PDL_TO{ '' . $data->type } // 'float64';
    } else {
        _flatten($data, \@shape, 0, \@flat);
    }
    @shape = @{ $o{shape} } if $o{shape};
    $dtype = $o{dtype} // $dtype // 'float32';
    my $n = 1; $n *= $_ for @shape;
    croak "AI::MXCore: " . scalar(@flat) . " values do not fill shape (@shape)" if $n != @flat;
    my $src = _create(\@shape, 'float64');
    if ($n) {
        my $buf = pack('d<*', @flat);
        my ($ptr, $len) = scalar_to_buffer $buf;
        _check(_c('mx_tensor_copy_from_host', $src->handle, $ptr, $len));
    }
    return $src if $dtype eq 'float64';
    my $dst = _create(\@shape, $dtype);
    _check(_c('mx_tensor_assign', $dst->handle, $src->handle));
    return $dst;
}

sub shape {
    my $s = shift;
    my ($nd, $p);
    _check(_c('mx_tensor_shape', $s->handle, \$nd, \$p));
    return [] unless $nd;
    return $AI::MXCore::ffi->cast('opaque' => "sint64[$nd]", $p);
}
sub size { my $n = 1; $n *= $_ for @{ $_[0]->shape }; $n }
sub dtype { my $d; _check(_c('mx_tensor_dtype', $_[0]->handle, \$d)); $DTYPE_NAME{$d} }
sub device {
    my $buf = "\0" x 8;
    my ($ptr) = scalar_to_buffer $buf;
    _check(_c('mx_tensor_device', $_[0]->handle, $ptr));
    my ($t, $id) = unpack('l<l<', $buf);
    return ($DEV{$t} // "dev$t") . "($id)";
}

# flat values in C order (int64 exact, everything else through float64)
sub _host_list {
    my $s = shift;
    my $n = $s->size;
    my ($dt, $pack) = $s->dtype eq 'int64' ? ('int64', 'q<*') : ('float64', 'd<*');
    my $tmp = _create($s->shape, $dt);
    _check(_c('mx_tensor_assign', $tmp->handle, $s->handle));
    return [] unless $n;
    my $buf = "\0" x ($n * 8);
    my ($ptr, $len) = scalar_to_buffer $buf;
    _check(_c('mx_tensor_copy_to_host', $tmp->handle, $ptr, $len));
    return [unpack($pack, $buf)];
}

# nested array refs (a plain number for a 0-d tensor)
sub aslist {
    my $s = shift;
    my @flat = @{ $s->_host_list };
    my @shape = @{ $s->shape };
    return $flat[0] unless @shape;
    for my $d (reverse @shape[1 .. $#shape]) {
        my @rows;
        push @rows, [splice(@flat, 0, $d)] while @flat;
        @flat = @rows;
    }
    return \@flat;
}

sub aspdl {
    my $s = shift;
    require PDL::Lite;
    my %to = (float32 => 'float', float64 => 'double', uint8 => 'byte', int32 => 'long', int64 => 'longlong',
              int8 => 'sbyte', bool => 'byte', float16 => 'float', bfloat16 => 'float');
    my $type = $to{ $s->dtype };
    my $p = PDL->pdl(PDL->can($type)->(), $s->_host_list);
    return $p->reshape(reverse @{ $s->shape });
}

sub grad {
    my $g;
    _check(_c('mx_tensor_grad', $_[0]->handle, \$g));
    return $g ? __PACKAGE__->_wrap($g) : undef;
}

sub _bin {
    my ($op, $a, $b, $swap) = @_;
    my $to_nd = sub {
        my $v = shift;
        return $v if blessed $v && $v->isa(__PACKAGE__);
        return __PACKAGE__->new($v, dtype => $a->dtype, shape => [(1) x @{ $a->shape }]) if looks_like_number $v;
        return __PACKAGE__->new($v, dtype => $a->dtype);
    };
    my @in = ($a, $to_nd->($b));
    @in = reverse @in if $swap;
    return scalar AI::MXCore::ND->invoke($op, \@in, []);
}

sub to_string {
    my $s = shift;
    return '<NDArray disposed>' unless $s->{h};
    my $fmt; $fmt = sub { ref $_[0] ? '[' . join(', ', map { $fmt->($_) } @{ $_[0] }) . ']' : "$_[0]" };
    return sprintf("<NDArray %s %s @%s>\n%s", join('x', @{ $s->shape }), $s->dtype, $s->device, $fmt->($s->aslist));
}

1;
__END__

=head1 NAME

AI::MXCore::NDArray - n-dimensional array held by the mxcore core

=head1 METHODS

C<new($data, dtype =E<gt> 'float32', shape =E<gt> [...])>, C<shape>, C<size>,
C<dtype>, C<device>, C<aslist>, C<aspdl>, C<grad>, C<dispose>; overloaded
C<+ - * / ** == != E<lt> E<gt> E<lt>= E<gt>=>, unary minus and stringification.

=cut
