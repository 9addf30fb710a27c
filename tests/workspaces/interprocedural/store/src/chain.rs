//! A long chain of sync calls ending in `block_on`, reached only from the sync `tool` binary.

use tokio::runtime::Runtime;

pub fn step0() -> u32 {
    step1() + 1
}

fn step1() -> u32 {
    step2() + 1
}

fn step2() -> u32 {
    step3() + 1
}

fn step3() -> u32 {
    step4() + 1
}

fn step4() -> u32 {
    step5() + 1
}

fn step5() -> u32 {
    step6() + 1
}

fn step6() -> u32 {
    step7() + 1
}

fn step7() -> u32 {
    step8() + 1
}

fn step8() -> u32 {
    step9() + 1
}

fn step9() -> u32 {
    step10() + 1
}

fn step10() -> u32 {
    step11() + 1
}

fn step11() -> u32 {
    step12() + 1
}

fn step12() -> u32 {
    step13() + 1
}

fn step13() -> u32 {
    step14() + 1
}

fn step14() -> u32 {
    step15() + 1
}

fn step15() -> u32 {
    step16() + 1
}

fn step16() -> u32 {
    step17() + 1
}

fn step17() -> u32 {
    step18() + 1
}

fn step18() -> u32 {
    step19() + 1
}

fn step19() -> u32 {
    step20() + 1
}

fn step20() -> u32 {
    step21() + 1
}

fn step21() -> u32 {
    step22() + 1
}

fn step22() -> u32 {
    step23() + 1
}

fn step23() -> u32 {
    step24() + 1
}

fn step24() -> u32 {
    step25() + 1
}

fn step25() -> u32 {
    step26() + 1
}

fn step26() -> u32 {
    step27() + 1
}

fn step27() -> u32 {
    step28() + 1
}

fn step28() -> u32 {
    step29() + 1
}

fn step29() -> u32 {
    step30() + 1
}

fn step30() -> u32 {
    step31() + 1
}

fn step31() -> u32 {
    step32() + 1
}

fn step32() -> u32 {
    step33() + 1
}

fn step33() -> u32 {
    step34() + 1
}

fn step34() -> u32 {
    step35() + 1
}

fn step35() -> u32 {
    step36() + 1
}

fn step36() -> u32 {
    step37() + 1
}

fn step37() -> u32 {
    step38() + 1
}

fn step38() -> u32 {
    step39() + 1
}

fn step39() -> u32 {
    step40() + 1
}

fn step40() -> u32 {
    step41() + 1
}

fn step41() -> u32 {
    step42() + 1
}

fn step42() -> u32 {
    step43() + 1
}

fn step43() -> u32 {
    step44() + 1
}

fn step44() -> u32 {
    step45() + 1
}

fn step45() -> u32 {
    step46() + 1
}

fn step46() -> u32 {
    step47() + 1
}

fn step47() -> u32 {
    step48() + 1
}

fn step48() -> u32 {
    step49() + 1
}

fn step49() -> u32 {
    step50() + 1
}

fn step50() -> u32 {
    step51() + 1
}

fn step51() -> u32 {
    step52() + 1
}

fn step52() -> u32 {
    step53() + 1
}

fn step53() -> u32 {
    step54() + 1
}

fn step54() -> u32 {
    step55() + 1
}

fn step55() -> u32 {
    step56() + 1
}

fn step56() -> u32 {
    step57() + 1
}

fn step57() -> u32 {
    step58() + 1
}

fn step58() -> u32 {
    step59() + 1
}

fn step59() -> u32 {
    step60() + 1
}

fn step60() -> u32 {
    Runtime::new().unwrap().block_on(async { 0 })
}
