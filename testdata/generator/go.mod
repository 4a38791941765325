module schedstat/testdata/generator

go 1.22
