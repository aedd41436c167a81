package AI::MXCore::Symbol;
# MXNet model files in Perl: a symbol JSON (prefix-symbol.json, any MXNet 1.x
# version) becomes a core graph, run on NDArrays by the same C executor that
# Python's mx.sym, hybridize() and SymbolBlock.imports use. The object holds
# one graph reference, released by DESTROY or early by dispose().
use strict;
use warnings;
use Carp qw(croak);
use Scalar::Util qw(blessed);

sub _c { AI::MXCore::_c(@_) }
sub _check { AI::MXCore::_check(@_) }

sub _from_json {
    my ($class, $json) = @_;
    my $g;
    _check(_c('mx_graph_from_json', $json, \$g));
    return bless { g => $g }, $class;
}

sub handle { my $s = shift; croak "AI::MXCore: Symbol was disposed" unless $s->{g}; $s->{g} }
sub dispose { my $s = shift; _c('mx_graph_release', delete $s->{g}) if $s->{g}; return }
sub DESTROY { local ($., $@, $!, $^E, $?); $_[0]->dispose }

sub _list {
    my ($s, $what) = @_;
    my ($n, $p);
    _check(_c('mx_graph_list', $s->handle, $what, \$n, \$p));
    return [] unless $n;
    return [@{ $AI::MXCore::ffi->cast('opaque' => "string[$n]", $p) }];
}
# names in MXNet's order
sub list_arguments { $_[0]->_list(0) }
sub list_auxiliary_states { $_[0]->_list(1) }
sub list_outputs { $_[0]->_list(2) }

sub tojson {
    my $s = shift;
    my $p;
    _check(_c('mx_graph_to_json', $s->handle, \$p));
    return $AI::MXCore::ffi->cast('opaque' => 'string', $p);
}

# run(\%args, \%aux, is_train => 0): %args / %aux name every argument and
# auxiliary state (extra names are ignored). Returns an array ref of the
# outputs (NDArray), in list_outputs order.
sub run {
    my ($s, $args, $aux, %o) = @_;
    $aux //= {};
    my $bind = sub {
        my ($wanted, $given, $what) = @_;
        my @missing = grep { !exists $given->{$_} } @$wanted;
        croak "AI::MXCore::Symbol::run: no value for $what " . join(', ', map {"'$_'"} @missing)
            . " (the graph's ${what}s: " . join(', ', @$wanted) . ")" if @missing;
        for my $k (@$wanted) {
            croak "AI::MXCore::Symbol::run: $what '$k' must be an AI::MXCore::NDArray, got "
                . (ref $given->{$k} || (defined $given->{$k} ? "'$given->{$k}'" : 'undef'))
                unless blessed($given->{$k}) && $given->{$k}->isa('AI::MXCore::NDArray');
        }
        return [map { $given->{$_}->handle } @$wanted];
    };
    my $a = $bind->($s->list_arguments, $args, 'argument');
    my $x = $bind->($s->list_auxiliary_states, $aux, 'auxiliary state');
    my $heads = scalar @{ $s->list_outputs };
    croak "AI::MXCore::Symbol::run: at most 64 outputs" if $heads > 64;
    my @outs = (undef) x 64;
    my $n = 0;
    _check(_c('mx_graph_run', $s->handle, $a, scalar @$a, $x, scalar @$x, $o{is_train} ? 1 : 0, \@outs, 64, \$n));
    return [map { AI::MXCore::NDArray->_wrap($outs[$_]) } 0 .. $n - 1];
}

# mx->sym: loading
package AI::MXCore::SymbolNS;
sub load {
    my (undef, $file) = @_;
    open my $fh, '<', $file or Carp::croak("AI::MXCore: cannot open symbol file '$file': $!");
    local $/;
    my $json = <$fh>;
    close $fh;
    return AI::MXCore::Symbol->_from_json($json);
}
sub load_json { my (undef, $json) = @_; AI::MXCore::Symbol->_from_json($json) }

# mx->model: MXNet checkpoints (prefix-symbol.json, prefix-%04d.params with
# "arg:"/"aux:" keys, as HybridBlock.export and Module.save_checkpoint write)
package AI::MXCore::Model;
sub load_checkpoint {
    my (undef, $prefix, $epoch) = @_;
    my $sym = AI::MXCore::SymbolNS->load("$prefix-symbol.json");
    my $p = AI::MXCore::ND->load(sprintf('%s-%04d.params', $prefix, $epoch));
    Carp::croak("AI::MXCore: $prefix parameters are a list, not named arg:/aux: arrays") unless ref $p eq 'HASH';
    my (%arg, %aux);
    for my $k (keys %$p) {
        if ($k =~ /^arg:(.*)$/) { $arg{$1} = $p->{$k} }
        elsif ($k =~ /^aux:(.*)$/) { $aux{$1} = $p->{$k} }
    }
    return ($sym, \%arg, \%aux);
}

1;
