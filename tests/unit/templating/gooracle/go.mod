module kaiun.test/gooracle

go 1.19
