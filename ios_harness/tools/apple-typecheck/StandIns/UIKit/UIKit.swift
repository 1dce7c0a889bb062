// Stand-in for Apple's UIKit (iOS 18 SDK): only the symbols the SwiftUI shell
// (ios_harness/Sources/App) uses, declared as the SDK imports them into Swift.
// Bodies are `fatalError()`. How to add a declaration: tools/apple-typecheck/README.md.
@_exported import Foundation

/// https://developer.apple.com/documentation/uikit/uiresponder
@available(iOS 2.0, *)
@MainActor
open class UIResponder: NSObject {}

/// https://developer.apple.com/documentation/uikit/uiapplication
@available(iOS 2.0, *)
@MainActor
open class UIApplication: UIResponder {
    /// https://developer.apple.com/documentation/uikit/uiapplication/shared
    open class var shared: UIApplication { fatalError() }

    /// https://developer.apple.com/documentation/uikit/uiapplication/isidletimerdisabled
    open var isIdleTimerDisabled: Bool {
        get { fatalError() }
        set { fatalError() }
    }

    /// https://developer.apple.com/documentation/uikit/uiapplication/willresignactivenotification
    nonisolated public class var willResignActiveNotification: NSNotification.Name { fatalError() }
    /// https://developer.apple.com/documentation/uikit/uiapplication/didenterbackgroundnotification
    nonisolated public class var didEnterBackgroundNotification: NSNotification.Name { fatalError() }
    /// https://developer.apple.com/documentation/uikit/uiapplication/willenterforegroundnotification
    nonisolated public class var willEnterForegroundNotification: NSNotification.Name { fatalError() }
    /// https://developer.apple.com/documentation/uikit/uiapplication/didbecomeactivenotification
    nonisolated public class var didBecomeActiveNotification: NSNotification.Name { fatalError() }
    /// https://developer.apple.com/documentation/uikit/uiapplication/protecteddatawillbecomeunavailablenotification
    @available(iOS 4.0, *)
    nonisolated public class var protectedDataWillBecomeUnavailableNotification: NSNotification.Name { fatalError() }
    /// https://developer.apple.com/documentation/uikit/uiapplication/protecteddatadidbecomeavailablenotification
    @available(iOS 4.0, *)
    nonisolated public class var protectedDataDidBecomeAvailableNotification: NSNotification.Name { fatalError() }
}

/// https://developer.apple.com/documentation/uikit/uikeyboardtype
@available(iOS 2.0, *)
public enum UIKeyboardType: Int, @unchecked Sendable {
    case `default` = 0
    case asciiCapable = 1
    case numbersAndPunctuation = 2
    case URL = 3
    case numberPad = 4
    case phonePad = 5
    case namePhonePad = 6
    case emailAddress = 7
    case decimalPad = 8
    case twitter = 9
    case webSearch = 10
    case asciiCapableNumberPad = 11
}
