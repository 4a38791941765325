module schedstat/testdata/tools/fuzzcorpus

go 1.22
