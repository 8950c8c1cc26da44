import Foundation
import Testing
@testable import SluiceCore

@Suite struct SignalTests {
    @Test func aReusedSignalSleepsAfterAFire() async {
        let signal = Signal()
        signal.fire()
        await signal.wait(timeoutMillis: nil)  // the remembered fire
        let started = Date()
        await signal.wait(timeoutMillis: 80)
        #expect(Date().timeIntervalSince(started) >= 0.07, "a second wait must not return at once")
        let again = Date()
        await signal.wait(timeoutMillis: 80)
        #expect(Date().timeIntervalSince(again) >= 0.07)
    }

    @Test func fireWakesAWaiter() async {
        let signal = Signal()
        let started = Date()
        Task {
            try? await Task.sleep(nanoseconds: 20_000_000)
            signal.fire()
        }
        await signal.wait(timeoutMillis: 5000)
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func alarmRemembersAPokeWhileBusy() async {
        let alarm = WakeAlarm()
        alarm.poke()
        let started = Date()
        await alarm.sleep(millis: 5000)
        #expect(Date().timeIntervalSince(started) < 1)
        let idle = Date()
        await alarm.sleep(millis: 60)
        #expect(Date().timeIntervalSince(idle) >= 0.05)
    }
}
