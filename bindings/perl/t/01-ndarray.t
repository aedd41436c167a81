use strict;
use warnings;
use Test::More;
use AI::MXCore qw(mx);

for my $dt (qw(float32 float64 float16 bfloat16 uint8 int32 int8 int64 bool)) {
    my $data = $dt eq 'bool' ? [[1, 0, 1], [0, 0, 1]] : [[0, 1, 2], [3, 4, 5]];
    my $a = mx->nd->array($data, dtype => $dt);
    is($a->dtype, $dt, "$dt dtype");
    is_deeply($a->shape, [2, 3], "$dt shape");
    is_deeply($a->aslist, $data, "$dt round trip");
}
is_deeply(mx->nd->array([2**40, -3], dtype => 'int64')->aslist, [2**40, -3], 'int64 exact');
is(mx->nd->array([1, 2])->device, 'cpu(0)', 'device');

SKIP: {
    skip 'PDL not installed', 4 unless eval { require PDL::Lite; 1 };
    my $a = mx->nd->array([[1, 2, 3], [4, 5, 6]], dtype => 'int32');
    my $p = $a->aspdl;
    is_deeply([$p->dims], [3, 2], 'piddle dims reversed');
    is($p->type . '', 'long', 'piddle type');
    my $b = mx->nd->array($p);
    is_deeply($b->shape, [2, 3], 'from piddle shape');
    is_deeply($b->aslist, $a->aslist, 'piddle round trip');
}

my $a = mx->nd->array([[1, 2], [3, 4]]);
like("$a", qr/^<NDArray 2x2 float32 \@cpu\(0\)>/, 'stringify');
is_deeply(($a + $a)->aslist, [[2, 4], [6, 8]], '+');
is_deeply(($a * $a - $a)->aslist, [[0, 2], [6, 12]], '* -');
is_deeply(($a * 3)->aslist, [[3, 6], [9, 12]], '* scalar');
is_deeply((10 - $a)->aslist, [[9, 8], [7, 6]], 'scalar - (swapped)');
is_deeply((-$a)->aslist, [[-1, -2], [-3, -4]], 'neg');
$a->dispose;
eval { $a->aslist };
like($@, qr/disposed/, 'use after dispose croaks');
$a->dispose;
pass('double dispose is harmless');
done_testing;
