module switchyard.bench/loadgen

go 1.24
