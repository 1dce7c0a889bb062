// SwiftUI containers, controls and modifiers (stand-in; see Core.swift).

/// https://developer.apple.com/documentation/swiftui/navigationpath
@available(iOS 16.0, macOS 13.0, *)
public struct NavigationPath {
    public init() { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/navigationstack
@available(iOS 16.0, macOS 13.0, *)
@MainActor @preconcurrency
public struct NavigationStack<Data, Root: View>: View {
    /// https://developer.apple.com/documentation/swiftui/navigationstack/init(root:)
    @MainActor @preconcurrency
    public init(@ViewBuilder root: () -> Root) where Data == NavigationPath { fatalError() }
    public var body: Never { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/list
@available(iOS 13.0, macOS 10.15, *)
@MainActor @preconcurrency
public struct List<SelectionValue: Hashable, Content: View>: View {
    /// https://developer.apple.com/documentation/swiftui/list/init(content:)
    public init(@ViewBuilder content: () -> Content) where SelectionValue == Never { fatalError() }
    public var body: Never { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/section
@available(iOS 13.0, macOS 10.15, *)
public struct Section<Parent, Content, Footer>: View {
    public var body: Never { fatalError() }
}

@available(iOS 15.0, macOS 12.0, *)
extension Section where Parent == Text, Content: View, Footer == EmptyView {
    /// https://developer.apple.com/documentation/swiftui/section/init(_:content:)-90be4
    public init(_ titleKey: LocalizedStringKey, @ViewBuilder content: () -> Content) { fatalError() }
    /// https://developer.apple.com/documentation/swiftui/section/init(_:content:)-3hcqs
    @_disfavoredOverload
    public init<S: StringProtocol>(_ title: S, @ViewBuilder content: () -> Content) { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/foreach
@available(iOS 13.0, macOS 10.15, *)
public struct ForEach<Data: RandomAccessCollection, ID: Hashable, Content> {
    public var data: Data
    public var content: (Data.Element) -> Content
}

@available(iOS 13.0, macOS 10.15, *)
extension ForEach: View where Content: View {
    public typealias Body = Never
    public var body: Never { fatalError() }
}

@available(iOS 13.0, macOS 10.15, *)
extension ForEach where ID == Data.Element.ID, Content: View, Data.Element: Identifiable {
    /// https://developer.apple.com/documentation/swiftui/foreach/init(_:content:)
    public init(_ data: Data, @ViewBuilder content: @escaping (Data.Element) -> Content) { fatalError() }
}

@available(iOS 13.0, macOS 10.15, *)
extension ForEach where Content: View {
    /// https://developer.apple.com/documentation/swiftui/foreach/init(_:id:content:)
    public init(_ data: Data, id: KeyPath<Data.Element, ID>, @ViewBuilder content: @escaping (Data.Element) -> Content) {
        fatalError()
    }
}

/// https://developer.apple.com/documentation/swiftui/horizontalalignment
@available(iOS 13.0, macOS 10.15, *)
public struct HorizontalAlignment: Equatable, Sendable {
    public static var leading: HorizontalAlignment { fatalError() }
    public static var center: HorizontalAlignment { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/vstack
@available(iOS 13.0, macOS 10.15, *)
public struct VStack<Content: View>: View {
    /// https://developer.apple.com/documentation/swiftui/vstack/init(alignment:spacing:content:)
    public init(alignment: HorizontalAlignment = .center, spacing: CGFloat? = nil, @ViewBuilder content: () -> Content) {
        fatalError()
    }
    public var body: Never { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/labeledcontent
@available(iOS 16.0, macOS 13.0, *)
public struct LabeledContent<Label, Content> {}

@available(iOS 16.0, macOS 13.0, *)
extension LabeledContent: View where Label: View, Content: View {
    public typealias Body = Never
    public var body: Never { fatalError() }
}

@available(iOS 16.0, macOS 13.0, *)
extension LabeledContent where Label == Text, Content == Text {
    /// https://developer.apple.com/documentation/swiftui/labeledcontent/init(_:value:)-7x9ho
    public init<S: StringProtocol>(_ titleKey: LocalizedStringKey, value: S) { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/button
@available(iOS 13.0, macOS 10.15, *)
@MainActor @preconcurrency
public struct Button<Label: View>: View {
    public var body: Never { fatalError() }
}

@available(iOS 13.0, macOS 10.15, *)
extension Button where Label == Text {
    /// https://developer.apple.com/documentation/swiftui/button/init(_:action:)-1asy
    @MainActor @preconcurrency
    public init(_ titleKey: LocalizedStringKey, action: @escaping @MainActor () -> Void) { fatalError() }
    /// https://developer.apple.com/documentation/swiftui/button/init(_:action:)-lpm7
    @_disfavoredOverload @MainActor @preconcurrency
    public init<S: StringProtocol>(_ title: S, action: @escaping @MainActor () -> Void) { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/textfield
@available(iOS 13.0, macOS 10.15, *)
@MainActor @preconcurrency
public struct TextField<Label: View>: View {
    public var body: Never { fatalError() }
}

@available(iOS 13.0, macOS 10.15, *)
extension TextField where Label == Text {
    /// https://developer.apple.com/documentation/swiftui/textfield/init(_:text:)-5xx4o
    @MainActor @preconcurrency
    public init(_ titleKey: LocalizedStringKey, text: Binding<String>) { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/securefield
@available(iOS 13.0, macOS 10.15, *)
@MainActor @preconcurrency
public struct SecureField<Label: View>: View {
    public var body: Never { fatalError() }
}

@available(iOS 13.0, macOS 10.15, *)
extension SecureField where Label == Text {
    /// https://developer.apple.com/documentation/swiftui/securefield/init(_:text:)-4ahcc
    @MainActor @preconcurrency
    public init(_ titleKey: LocalizedStringKey, text: Binding<String>) { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/progressview
@available(iOS 14.0, macOS 11.0, *)
@MainActor @preconcurrency
public struct ProgressView<Label: View, CurrentValueLabel: View>: View {
    public var body: Never { fatalError() }
}

@available(iOS 14.0, macOS 11.0, *)
extension ProgressView where Label == EmptyView, CurrentValueLabel == EmptyView {
    /// https://developer.apple.com/documentation/swiftui/progressview/init(value:total:)
    @MainActor @preconcurrency
    public init<V: BinaryFloatingPoint>(value: V?, total: V = 1.0) { fatalError() }
}

// MARK: - Toolbar

/// https://developer.apple.com/documentation/swiftui/toolbarcontent
@available(iOS 14.0, macOS 11.0, *)
@MainActor @preconcurrency
public protocol ToolbarContent {
    associatedtype Body: ToolbarContent
    @ToolbarContentBuilder @MainActor @preconcurrency var body: Self.Body { get }
}

@available(iOS 14.0, macOS 11.0, *)
extension Never: ToolbarContent {}

/// https://developer.apple.com/documentation/swiftui/toolbarcontentbuilder
@available(iOS 14.0, macOS 11.0, *)
@resultBuilder
public struct ToolbarContentBuilder {
    public static func buildExpression<Content: ToolbarContent>(_ content: Content) -> Content { fatalError() }
    public static func buildBlock<Content: ToolbarContent>(_ content: Content) -> Content { fatalError() }
    public static func buildBlock<C0: ToolbarContent, C1: ToolbarContent>(_ c0: C0, _ c1: C1) -> TupleToolbarContent<(C0, C1)> {
        fatalError()
    }
}

/// The content a toolbar builder makes of several items:
/// https://developer.apple.com/documentation/swiftui/tupletoolbarcontent
@available(iOS 14.0, macOS 11.0, *)
public struct TupleToolbarContent<T>: ToolbarContent {
    public var body: Never { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/toolbaritemplacement
@available(iOS 14.0, macOS 11.0, *)
public struct ToolbarItemPlacement {
    public static var automatic: ToolbarItemPlacement { fatalError() }
    /// https://developer.apple.com/documentation/swiftui/toolbaritemplacement/primaryaction
    public static var primaryAction: ToolbarItemPlacement { fatalError() }
    /// https://developer.apple.com/documentation/swiftui/toolbaritemplacement/secondaryaction
    @available(iOS 16.0, macOS 13.0, *)
    public static var secondaryAction: ToolbarItemPlacement { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/toolbaritem
@available(iOS 14.0, macOS 11.0, *)
public struct ToolbarItem<ID, Content: View>: ToolbarContent {
    public var body: Never { fatalError() }
}

@available(iOS 14.0, macOS 11.0, *)
extension ToolbarItem where ID == () {
    /// https://developer.apple.com/documentation/swiftui/toolbaritem/init(placement:content:)
    public init(placement: ToolbarItemPlacement = .automatic, @ViewBuilder content: () -> Content) { fatalError() }
}

// MARK: - Styles

/// https://developer.apple.com/documentation/swiftui/shapestyle
@available(iOS 13.0, macOS 10.15, *)
public protocol ShapeStyle: Sendable {}

/// https://developer.apple.com/documentation/swiftui/color
@available(iOS 13.0, macOS 10.15, *)
public struct Color: Hashable, ShapeStyle, Sendable {
    public static var red: Color { fatalError() }
}

@available(iOS 13.0, macOS 10.15, *)
extension Color: View {
    public typealias Body = Never
    public var body: Never { fatalError() }
}

@available(iOS 13.0, macOS 10.15, *)
extension ShapeStyle where Self == Color {
    /// https://developer.apple.com/documentation/swiftui/shapestyle/red
    public static var red: Color { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/hierarchicalshapestyle
@available(iOS 15.0, macOS 12.0, *)
public struct HierarchicalShapeStyle: ShapeStyle {}

@available(iOS 15.0, macOS 12.0, *)
extension ShapeStyle where Self == HierarchicalShapeStyle {
    /// https://developer.apple.com/documentation/swiftui/shapestyle/secondary
    public static var secondary: HierarchicalShapeStyle { fatalError() }
}

/// https://developer.apple.com/documentation/swiftui/textinputautocapitalization
@available(iOS 15.0, *)
public struct TextInputAutocapitalization: Sendable {
    /// https://developer.apple.com/documentation/swiftui/textinputautocapitalization/never
    public static var never: TextInputAutocapitalization { fatalError() }
}

// MARK: - Modifiers (all return `some View`)

@available(iOS 13.0, macOS 10.15, *)
extension View {
    /// https://developer.apple.com/documentation/swiftui/view/font(_:)
    nonisolated public func font(_ font: Font?) -> some View { fatalError() }

    /// https://developer.apple.com/documentation/swiftui/view/foregroundstyle(_:)
    @available(iOS 15.0, macOS 12.0, *)
    nonisolated public func foregroundStyle<S: ShapeStyle>(_ style: S) -> some View { fatalError() }

    /// https://developer.apple.com/documentation/swiftui/view/navigationtitle(_:)-avgj
    @available(iOS 14.0, macOS 11.0, *)
    nonisolated public func navigationTitle(_ titleKey: LocalizedStringKey) -> some View { fatalError() }

    /// https://developer.apple.com/documentation/swiftui/view/toolbar(content:)-7vdkx
    @available(iOS 14.0, macOS 11.0, *)
    nonisolated public func toolbar<Content: ToolbarContent>(@ToolbarContentBuilder content: () -> Content) -> some View {
        fatalError()
    }

    /// https://developer.apple.com/documentation/swiftui/view/disabled(_:)
    nonisolated public func disabled(_ disabled: Bool) -> some View { fatalError() }

    /// https://developer.apple.com/documentation/swiftui/view/keyboardtype(_:)
    @available(iOS 13.0, *)
    nonisolated public func keyboardType(_ type: UIKeyboardType) -> some View { fatalError() }

    /// https://developer.apple.com/documentation/swiftui/view/textinputautocapitalization(_:)
    @available(iOS 15.0, *)
    nonisolated public func textInputAutocapitalization(_ autocapitalization: TextInputAutocapitalization?) -> some View {
        fatalError()
    }

    /// https://developer.apple.com/documentation/swiftui/view/autocorrectiondisabled(_:)
    @available(iOS 13.0, macOS 10.15, *)
    nonisolated public func autocorrectionDisabled(_ disable: Bool = true) -> some View { fatalError() }

    /// https://developer.apple.com/documentation/swiftui/view/task(priority:_:)
    @available(iOS 15.0, macOS 12.0, *)
    nonisolated public func task(
        priority: TaskPriority = .userInitiated,
        @_inheritActorContext _ action: @escaping @isolated(any) @Sendable () async -> Void
    ) -> some View { fatalError() }
}
