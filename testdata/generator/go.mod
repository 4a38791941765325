module schedstat/testdata/generator

go 1.19
